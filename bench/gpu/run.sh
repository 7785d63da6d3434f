#!/usr/bin/env bash
# On the GPU machine (x86-64, no Node): unpack node + node_modules, build the BERT-base-shaped bench
# model, then run the teacher benchmark on webgpu (Vulkan) and, when its provider is installed, cuda.
set -uo pipefail
mkdir -p /tmp/node/bin && xz -dc .gpu/node.xz > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
export PATH=/tmp/node/bin:$PATH
tar -xJf .gpu/node_modules.tar.xz
if [ -d .gl ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
node bin/distillery.js models build-bench bench/models
out=${OUT:-/tmp}
for device in webgpu cuda; do
  node --import tsx bench/teacher.ts --model bench/models/bench-bert-base --device "$device" --dtypes fp32,q8 2>&1 | tee "$out/teacher-$device.txt"
done
