#!/usr/bin/env bash
# Packs what bench/teacher.ts needs on a GPU machine that has no Node.js into .gpu/ (git-ignored),
# compressed to fit the device tool's 64 MiB working-tree limit. Run from the repo root:
#   bash bench/gpu/pack.sh      then carry [".gpu"] and run bench/gpu/run.sh there.
set -euo pipefail
rm -rf .gpu && mkdir -p .gpu
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
# Only the linux-x64 onnxruntime binaries, transformers.js' node build and the runtime deps of the bench.
tar -cJf .gpu/node_modules.tar.xz \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
  --exclude='node_modules/onnxruntime-web' \
  --exclude='node_modules/@huggingface/transformers/dist/*.web.*' \
  --exclude='node_modules/better-sqlite3/deps' \
  --exclude='node_modules/playwright-core' \
  node_modules
du -sh .gpu/*
