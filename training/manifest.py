"""The one place that writes a trained model's manifest (models/<id>/manifest.json). Its shape is the
node's (src/inference/manifest.ts); models/manifest.schema.json is that schema exported to JSON Schema,
and a CI test checks what this module writes against it:

    /usr/bin/python3 training/manifest.py --example harmonize|harmonize-v3|superres
prints an example manifest of each task.
"""
import json
import sys

HU_WINDOW = (-1150.0, 350.0)
# Full-width strips: two per 512x512 slice, so the halo is paid only between them (7 % more pixels, not 15 %).
STRIP_TILE = {"inPlane": [256, 512], "z": 1}
ACCEPTS_512 = {"modalities": ["CT"], "matrixSizes": [[512, 512]], "pixelSpacingMm": [0.4, 1.0]}


def harmonizer_manifest(*, target_kernel, **common):
    """A 2.5D sharp-to-soft harmonizer: bone and contrast beyond its window carried by the Gaussian matched to it."""
    return _manifest(common, {
        "task": "harmonize",
        "seriesLabel": "SOFT-GAN",
        "dimensionality": "2.5d",
        "neighbourSlices": 1,
        "accepts": {**ACCEPTS_512, "kernelFamilies": ["sharp", "medium"]},
        "output": {"targetKernel": target_kernel, "kernelFamily": "soft", "scale": {"inPlane": 1, "z": 1}},
    }, outside_window={"method": "matched-gaussian", "sigmaRangeMm": [0.2, 3.0]})


def calibrated_harmonizer_manifest(*, hu_window, accepts_families, refines, calibration=None, pass_above_hu=None, body_only=False, **common):
    """Generator v3: a 2.5D refinement of a classical harmonizer's output (the calibrated kernel
    transfer's, or for v3_blind the blind Gaussian's), run after that step. It keeps the kernel the
    step before it made (no targetKernel), and outside its HU window passes its input through.
    calibration: the scanner and kernel pair it was trained for ({manufacturer, modelName,
    sourceKernel, targetKernel}), which kernel-transfer's refine "per-calibration" matches.
    pass_above_hu: the input passes through from this HU up (bone left to the step before).
    body_only: the input passes through outside the patient's body too (the node's body mask).
    refines: the step whose output it corrects ("kernel-transfer", or "gaussian-soften" for v3_blind):
    the node runs it only as that step's refine."""
    through = {"method": "pass-through"} | ({} if pass_above_hu is None else {"aboveHu": pass_above_hu}) | ({"bodyOnly": True} if body_only else {})
    claim = {"refines": refines} | ({} if calibration is None else {"calibration": calibration})
    return _manifest(common, {
        "task": "harmonize",
        "seriesLabel": "SOFT-V3",
        "dimensionality": "2.5d",
        "neighbourSlices": 1,
        "accepts": {**ACCEPTS_512, "kernelFamilies": list(accepts_families)},
        "output": {"kernelFamily": "soft", "scale": {"inPlane": 1, "z": 1}},
    }, outside_window=through, hu_window=hu_window) | claim


def super_resolver_manifest(**common):
    """A 2D 2x super-resolver: beyond its window, bicubic."""
    return _manifest(common, {
        "task": "superres",
        "seriesLabel": "SR2X-GAN",
        "dimensionality": "2d",
        "neighbourSlices": 0,
        "accepts": ACCEPTS_512,
        "output": {"scale": {"inPlane": 2, "z": 1}},
    }, outside_window={"method": "interpolate"})


def _manifest(common, task_fields, *, outside_window, hu_window=HU_WINDOW):
    """common: model_id, version, description, receptive_field (pixels), training."""
    receptive_field = common["receptive_field"]
    return {
        "id": common["model_id"],
        "version": common["version"],
        "status": "trained",
        "description": common["description"],
        "file": "model.onnx",
        "modelCard": "README.md",
        "tensors": {"input": "input", "output": "output"},
        **task_fields,
        "normalization": {"huWindow": list(hu_window), "outsideWindow": outside_window},
        "receptiveField": {"inPlane": receptive_field, "z": 0},
        "halo": {"inPlane": receptive_field, "z": 0},
        "tile": STRIP_TILE,
        "batch": 2,
        "padding": "reflect",
        "training": common["training"],
    }


def main():
    task = sys.argv[sys.argv.index("--example") + 1]
    training = {"data": "example", "metrics": {"fold": 1}}
    if task == "harmonize-v3":
        calibration = {"manufacturer": "Philips", "modelName": "Brilliance16", "sourceKernel": "L", "targetKernel": "B"}
        manifest = calibrated_harmonizer_manifest(model_id="example-v3", version="0.0.1", description="example", receptive_field=13, hu_window=(-1150.0, 1850.0), accepts_families=["soft"], refines="kernel-transfer", calibration=calibration, pass_above_hu=500.0, body_only=True, training=training)
    elif task == "harmonize":
        manifest = harmonizer_manifest(model_id="example-harmonizer", version="0.0.1", description="example", receptive_field=22, target_kernel="B30f-like", training=training)
    else:
        manifest = super_resolver_manifest(model_id="example-sr", version="0.0.1", description="example", receptive_field=16, training=training)
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
