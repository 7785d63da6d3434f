# syntax=docker/dockerfile:1
# distillery: HTTP API + CLI in one image. Build and run instructions: docs/DOCKER.md.
#
#   docker build -t distillery .                                            # CPU
#   docker build -t distillery:cuda --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 .

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install production dependencies, compiling native addons if no prebuilt binary fits ----
FROM ${NODE_IMAGE} AS build

# better-sqlite3 falls back to node-gyp when no prebuilt binary matches, which needs these.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Which extra onnxruntime-node binaries to fetch. Empty (default): none, as the .npmrc line
# `onnxruntime-node-install=skip` says; the image is CPU-only and nothing is fetched outside npm.
# `cuda12`: onnxruntime-node's postinstall downloads its CUDA 12 execution provider from nuget.org.
# Its script/install-utils.js reads
#   process.env.ONNXRUNTIME_NODE_INSTALL || process.env.npm_config_onnxruntime_node_install
# so the environment variable wins over .npmrc; the npm flag is passed as well so that npm's own
# config agrees. Never pass an empty flag: with no setting at all the script downloads the CUDA
# provider by default on linux/x64. The default branch also says `skip` in the environment, because
# npm warns that unknown project config keys like the one in .npmrc will stop working in its next
# major version.
ARG ONNXRUNTIME_NODE_INSTALL=

# npm ci runs the prepare script (scripts/), which has no src/ to compile yet here; the runtime stage does it.
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
RUN if [ -n "$ONNXRUNTIME_NODE_INSTALL" ]; then \
        ONNXRUNTIME_NODE_INSTALL="$ONNXRUNTIME_NODE_INSTALL" \
        npm ci --omit=dev --onnxruntime-node-install="$ONNXRUNTIME_NODE_INSTALL"; \
    else \
        ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev; \
    fi \
    && npm cache clean --force

# ---- runtime: the sources compiled to dist/ (esbuild, a production dependency), tsx as the fallback ----
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production

RUN groupadd --system distillery \
    && useradd --system --gid distillery --home-dir /app --shell /usr/sbin/nologin distillery

WORKDIR /app

COPY --from=build /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
# dist/ and WordNet's binary cache, built here as root: the service user cannot write /app.
RUN node scripts/build-dist.js && node scripts/build-wordnet-cache.js
COPY models ./models
# The demo corpora ship in data/; the default database (data/distillery.db) is created there too,
# so the directory must belong to the service user before it becomes a volume.
COPY --chown=distillery:distillery data ./data
# The directory itself too, whatever this builder does with the ownership of directories COPY creates.
RUN chown distillery:distillery /app/data

USER distillery

# Holds the SQLite database (and its -wal/-shm files). A named volume is seeded from the demo files
# above on first use; a bind mount hides them.
VOLUME /app/data

# Listen on all interfaces so the published port is reachable from outside the container.
# A non-loopback host REQUIRES API keys: the server refuses to start unless DISTILLERY_API_KEYS
# (comma-separated bearer tokens) is set, or DISTILLERY_ALLOW_INSECURE_REMOTE=1 says an open service
# is really intended. Pass the keys at run time (`-e DISTILLERY_API_KEYS=...`), never bake them in.
ENV DISTILLERY_HOST=0.0.0.0

EXPOSE 8080

# No curl in slim images; Node 20 has fetch. /healthz needs no API key.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD node -e "fetch('http://127.0.0.1:' + (process.env.DISTILLERY_PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

CMD ["node", "bin/distillery.js", "serve"]
