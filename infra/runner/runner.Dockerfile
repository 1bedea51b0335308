# syntax=docker/dockerfile:1.7
# The GPU runner image: Node 20 + the gpu-runner workspace + @tensorflow/tfjs-node-gpu on CUDA 11.2 / cuDNN 8.1.
#
# Build from the repository root (the context must hold package-lock.json and both workspaces' package.json):
#   docker build -f infra/runner/runner.Dockerfile -t <registry>/kandinsky-runner:<tag> .
# tfjs-node-gpu 4.22.0 loads libtensorflow 2.9.1, built against CUDA 11.2 and cuDNN 8.1: the base image must match
# (newer CUDA majors fail at load time with "libcudart.so.11.0: cannot open shared object file"). The host needs an
# NVIDIA driver >= 460.32 and the NVIDIA container toolkit. Every build argument below can be overridden.
#
# Verification: at start the runner checks its backend against the shipped reference fixtures before reporting
# ready (VERIFY_ON_START, default true; a failure stops it with "start-up verification failed ..."). On a new GPU
# type, run the full-size check once and keep its report (about 10 GB of scratch in the temp folder):
#   docker run --rm --gpus all --entrypoint node <image> bin/kandinsky.mjs verify --full
# (docs/runner.md, "Verification", says how to read it).
ARG CUDA_IMAGE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
ARG NODE_VERSION=20.19.5

# --- Node on the CUDA base (shared by both stages so native modules are built against the runtime's glibc) ----------
FROM ${CUDA_IMAGE} AS node-base
ARG NODE_VERSION
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl xz-utils \
 && rm -rf /var/lib/apt/lists/*
# Official Node binaries, checked against the release's published SHA-256 list.
RUN curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/node-v${NODE_VERSION}-linux-x64.tar.xz" \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt" \
 && grep " node-v${NODE_VERSION}-linux-x64.tar.xz\$" SHASUMS256.txt | sha256sum -c - \
 && tar -xJf "node-v${NODE_VERSION}-linux-x64.tar.xz" -C /usr/local --strip-components=1 --no-same-owner \
 && rm "node-v${NODE_VERSION}-linux-x64.tar.xz" SHASUMS256.txt \
 && node --version

# --- Dependencies: production packages of the gpu-runner workspace -------------------------------------------------
FROM node-base AS deps
# node-gyp needs these when a prebuilt tfjs-node binding is unavailable for this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY gpu-runner/package.json gpu-runner/
COPY edge/package.json edge/
# The tfjs-node(-gpu) install scripts download libtensorflow here (the build has internet; the runtime does not need it).
# npm silently drops an optional dependency whose install failed, so check it is there (resolving does not load the
# native binding, which needs the GPU driver).
RUN npm ci --workspace gpu-runner --omit=dev --no-audit --no-fund \
 && node -e "require.resolve('@tensorflow/tfjs-node-gpu')"

# --- Runtime ----------------------------------------------------------------------------------------------------------
FROM node-base AS runtime
RUN groupadd --system --gid 10001 runner \
 && useradd --system --uid 10001 --gid runner --home-dir /app --no-create-home --shell /usr/sbin/nologin runner \
 && mkdir -p /var/cache/kandinsky \
 && chown runner:runner /var/cache/kandinsky
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
# The shared edge <-> runner wire types (node_modules/@kandinsky/protocol links here).
COPY protocol/package.json protocol/
COPY protocol/src protocol/src
COPY gpu-runner/package.json gpu-runner/tsconfig.json gpu-runner/
COPY gpu-runner/bin gpu-runner/bin
COPY gpu-runner/src gpu-runner/src
# The reference fixtures (40 MB): the start-up parity check runs the tiny ones before /readyz turns true, and
# `kandinsky verify --full` regenerates the full-size components from the seeded manifests (docs/runner.md).
COPY gpu-runner/fixtures gpu-runner/fixtures
# Runner defaults for this image; everything else comes from the deployment (see docs/deploy.md).
# libtensorflow 2.9 ships GPU kernels for compute capabilities up to 7.5 plus PTX for 8.0: on Ampere and newer GPUs the
# driver JIT-compiles them at first use (minutes). CUDA_CACHE_PATH keeps the result on the cache volume.
ENV NODE_ENV=production \
    KANDINSKY_BACKEND=node-gpu \
    KANDINSKY_MODEL_CACHE=/var/cache/kandinsky/model \
    HOST=0.0.0.0 \
    PORT=9100 \
    CUDA_CACHE_PATH=/var/cache/kandinsky/cuda-jit \
    CUDA_CACHE_MAXSIZE=4294967296
USER 10001:10001
EXPOSE 9100
# Liveness only: readiness (/readyz, models loaded) is for the orchestrator. The start period covers the model download
# and, on a first start, the CUDA JIT compilation.
HEALTHCHECK --interval=30s --timeout=5s --start-period=1800s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 9100) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The runner drains on SIGTERM: stops leasing, finishes or releases its job, then exits 0.
STOPSIGNAL SIGTERM
WORKDIR /app/gpu-runner
ENTRYPOINT ["node", "--import", "tsx", "src/service/main.ts"]
