#!/usr/bin/env bash
# On the GPU machine (x86-64, no Node, no network), from the repo root with .gpu/ (bench/gpu/pack.sh)
# and .gl/ (Vulkan loader debs, see the device tool's README) carried:
#   1. docs/TRAINING.md's Python on real exports (torch + pyarrow are there; .gpu/exports from pack time)
#   2. the BERT-base-shaped bench model, built there
#   3. bench/teacher.ts on webgpu (Vulkan) and bench/http-batching.ts on webgpu and on the 16 CPU cores
# Every step has its own time limit; outputs go to $OUT (or /tmp).
set -uo pipefail
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
python3 bench/gpu/check_training.py .gpu/exports/demo-eda-00000.parquet .gpu/exports/tiny80-00000.safetensors models/tiny-bert-classifier > "$out/training.txt" 2>&1
tail -4 "$out/training.txt"
mkdir -p /tmp/node/bin && xz -dc .gpu/node.xz > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
export PATH=/tmp/node/bin:$PATH DISTILLERY_SHARED_DIR=$PWD/.gpu
tar -xJf .gpu/node_modules.tar.xz
if [ -d .gl ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
timeout 120 node bin/distillery.js models build-bench bench/models 2>&1 | tail -2
timeout 200 node --import tsx bench/teacher.ts --model bench/models/bench-bert-base --device webgpu --dtypes fp32 --modes raw,engine,pipeline ${LIMIT:+--limit $LIMIT} > "$out/teacher-webgpu.txt" 2>&1
tail -12 "$out/teacher-webgpu.txt"
for device in webgpu cpu; do
  timeout 150 node --import tsx bench/http-batching.ts --teachers bert-base --device $device --duration ${DURATION:-15} > "$out/http-$device.txt" 2>&1
  tail -8 "$out/http-$device.txt"
done
