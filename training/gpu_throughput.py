#!/usr/bin/python3
"""Slices per second of v3 networks on whole 512 x 512 slices, on every device this machine has:
PyTorch on CUDA (float32, TF32 off and on) and on the CPU, and onnxruntime's Python build with each
execution provider it offers (the engine the node runs, through onnxruntime-node). On a GPU a run is
--batch slices, on the CPU one slice. Each figure is the median of timed runs after two warm-ups.

    python3 training/gpu_throughput.py harmonize-v3-a0002-caudal harmonize-v3-full-a0002-caudal
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO  # noqa: E402
from train_harmonize_v3 import trained_v3  # noqa: E402


def timed(run, repeats, sync=lambda: None):
    for _ in range(2):
        run()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("models", nargs="+")
    p.add_argument("--batch", type=int, default=8, help="slices per run")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    x = torch.randn(args.batch, 3, 512, 512) * 300 - 500
    one = x[:1].contiguous()
    results = []
    for model_id in args.models:
        path = os.path.join(REPO, "models", model_id, "model.onnx")
        model, manifest = trained_v3(model_id)
        metrics = manifest["training"]["metrics"]
        row = {"model": model_id, "channels": metrics.get("channels", 16), "blocks": metrics.get("blocks", 5)}
        with torch.no_grad():
            if torch.cuda.is_available():
                gpu, xg = model.cuda(), x.cuda()
                for tf32 in (False, True):
                    torch.backends.cudnn.allow_tf32 = tf32
                    seconds = timed(lambda: gpu(xg), args.repeats, torch.cuda.synchronize)
                    row[f"torch_cuda_{'tf32' if tf32 else 'fp32'}"] = args.batch / seconds
                model.cpu()
            row["torch_cpu"] = 1 / timed(lambda: model(one), 2)
        try:
            import onnxruntime as ort

            for provider in ort.get_available_providers():
                if provider not in ("CUDAExecutionProvider", "CPUExecutionProvider"):
                    continue
                session = ort.InferenceSession(path, providers=[provider])
                gpu = provider == "CUDAExecutionProvider"
                feed = {"input": (x if gpu else one).numpy()}
                row[f"onnxruntime_{provider}"] = (args.batch if gpu else 1) / timed(lambda: session.run(None, feed), args.repeats if gpu else 2)
        except ImportError:
            row["onnxruntime"] = "not installed"
        results.append(row)
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, " + (torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA"))


if __name__ == "__main__":
    main()
