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

# Which extra onnxruntime-node binaries to fetch. Empty (default): none; the image is CPU-only and
# nothing is fetched outside npm. `cuda12`: the CUDA 12 execution provider, downloaded from outside the npm registry.
# onnxruntime-node's postinstall would fetch it during `npm ci` unless told to skip. package.json's
# "allowScripts" denies that script on npm 11.19 and later; the node image's npm may be older, so the
# environment variable says `skip` as well (its install script reads
#   process.env.ONNXRUNTIME_NODE_INSTALL || process.env.npm_config_onnxruntime_node_install
# first, with every npm). For CUDA the script then runs on its own, once, with the variable set.
ARG ONNXRUNTIME_NODE_INSTALL=

# npm ci runs the prepare script (scripts/), which has no src/ to compile yet here; the runtime stage does it.
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev \
    && if [ -n "$ONNXRUNTIME_NODE_INSTALL" ]; then \
        ONNXRUNTIME_NODE_INSTALL="$ONNXRUNTIME_NODE_INSTALL" node node_modules/onnxruntime-node/script/install.js; \
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

# No curl in slim images; the check reads the same config as the service (DISTILLERY_CONFIG file,
# DISTILLERY_* variables), so a port set in the config file is the one probed. /healthz needs no API key.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "--import", "tsx", "src/http/healthcheck.ts"]

CMD ["node", "bin/distillery.js", "serve"]
