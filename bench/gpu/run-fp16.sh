#!/usr/bin/env bash
# Issue 18 on a GPU machine (x86-64, no Node, no network), from the repo root with .gpu/ (bench/gpu/pack.sh)
# and .gl/ (Vulkan loader debs) carried. Prepared on a CPU-only session and not run yet. About 6-8 minutes:
#   1. the BERT-base-shaped bench model, built there (fp32, fp16 via `models convert`, q8)
#   2. fp16 vs fp32 fidelity on SST-2 dev on the GPU (KL <= 1e-4 at T = 1, 2, 4; agreement >= 99.5%)
#   3. engine and raw session on all of SST-2 train (67k sentences), fp32 then fp16 (targets: engine/raw
#      >= 0.95 for both; fp16 engine >= 2x fp32 engine), with TFLOP/s and the fraction of the H200's
#      datasheet peak: 67 TFLOP/s fp32 (no tensor cores), 989 TFLOP/s fp16 dense tensor cores.
# DEVICE=cuda tries the CUDA provider instead (needs its libraries, which the npm package does not ship).
# Every step has its own time limit; outputs go to $OUT (or /tmp).
set -uo pipefail
out=${OUT:-/tmp}
device=${DEVICE:-webgpu}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
mkdir -p /tmp/node/bin && xz -dc .gpu/node.xz > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
export PATH=/tmp/node/bin:$PATH DISTILLERY_SHARED_DIR=$PWD/.gpu
tar -xJf .gpu/node_modules.tar.xz
if [ -d .gl ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
timeout 120 node bin/distillery.js models build-bench bench/models 2>&1 | tail -3
timeout 60 node bin/distillery.js models inspect bench/models/bench-bert-base --dtype fp16 --device auto > "$out/inspect-auto.txt" 2>&1
grep -E '^device|note:' "$out/inspect-auto.txt"
timeout 120 node --import tsx bench/fp16-fidelity.ts --model bench/models/bench-bert-base --device "$device" > "$out/fidelity-$device.txt" 2>&1
tail -30 "$out/fidelity-$device.txt"
for spec in fp32:67 fp16:989; do
  dtype=${spec%%:*} peak=${spec##*:}
  timeout 170 node --import tsx bench/teacher.ts --model bench/models/bench-bert-base --device "$device" --split train \
    --dtypes "$dtype" --modes raw,engine --peak-tflops "$peak" ${LIMIT:+--limit $LIMIT} > "$out/teacher-train-$dtype.txt" 2>&1
  tail -5 "$out/teacher-train-$dtype.txt"
done
