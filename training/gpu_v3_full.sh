#!/bin/bash
# The full-size generator v3 (64 channels, 8 residual blocks) on one CUDA GPU, by the recipe of the
# CPU-sized one (docs/models.md): v3_shared of each half, then the six per-calibration models
# fine-tuned from it, in parallel processes (the batches are drawn on the CPU, so one process
# leaves the GPU mostly idle). Then slices/s of both sizes (training/gpu_throughput.py).
#
#   npx tsx scripts/export-v3-training-data.ts && /usr/bin/python3 training/pack_device_data.py
#   bash training/gpu_v3_full.sh OUT_DIR [SHARED_MINUTES] [PER_CALIBRATION_MINUTES]
#
# Writes models/harmonize-v3-full-*/ and, in OUT_DIR, the logs and models.tar.part-* (the models,
# split in 15 MiB parts). Afterwards, here: cat models.tar.part-* | tar -x, then
# training/body_only_check.py --write on them, write_cards.py and npm run eval.
set -uo pipefail
out=${1:?OUT_DIR}
shared_minutes=${2:-3}
own_minutes=${3:-1.5}
full=(--data var/v3-device --device cuda --channels 64 --blocks 8 --batch 32)
export PYTHONUNBUFFERED=1
mkdir -p "$out" var/gpu-logs
nvidia-smi -L
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
python3 -c "import onnxruntime as o; print('onnxruntime', o.__version__, o.get_available_providers())" || true
command -v node || echo "no node here"

train() {  # id, then arguments; output to var/gpu-logs/<id>.log
  local id=$1; shift
  python3 training/train_harmonize_v3.py "${full[@]}" --id "$id" "$@" > "var/gpu-logs/$id.log" 2>&1
}

started=$SECONDS
if ! train smoke-full --split cranial --pairs toshiba --minutes 1 --max-steps 3 --check-slices 1; then
  cat var/gpu-logs/smoke-full.log; exit 1
fi
rm -rf models/smoke-full
echo "smoke run passed in $((SECONDS - started)) s"

for half in cranial caudal; do
  train "harmonize-v3-full-$half" --split "$half" --minutes "$shared_minutes" --threads 3 &
done
wait
for half in cranial caudal; do
  [ -f "models/harmonize-v3-full-$half/model.onnx" ] || { cat "var/gpu-logs/harmonize-v3-full-$half.log"; exit 1; }
done
echo "v3_shared full-size done at $((SECONDS - started)) s"

for pair in a0001 a0002 toshiba; do
  for half in cranial caudal; do
    train "harmonize-v3-full-$pair-$half" --pairs "$pair" --split "$half" --minutes "$own_minutes" \
      --init "harmonize-v3-full-$half" --lr 1.5e-4 --pass-above-hu 500 --laa-weight 0.3 --threads 2 &
  done
done
wait
echo "per-calibration full-size done at $((SECONDS - started)) s"

grep -h "trained\|training half\|error\|Error" var/gpu-logs/*.log
tar -cf - models/harmonize-v3-full-* var/gpu-logs | split -b 15M - "$out/models.tar.part-"
python3 training/gpu_throughput.py harmonize-v3-a0002-caudal harmonize-v3-full-a0002-caudal | tee "$out/throughput.txt"
echo "all done at $((SECONDS - started)) s"
