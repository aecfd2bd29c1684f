# StreamRec: `make run` runs it end to end on this machine, `make test` runs every test.
# Everything here needs only the .NET SDK pinned in global.json (Docker only for `make up`).

DOTNET ?= dotnet
CLI := $(DOTNET) run -c Release --project services/StreamRec.Cli --

.PHONY: run test bench up down build build-gpu evaluate chaos broker watch clean help

help:
	@echo "make run       dev broker + embedded store + all four services, MovieLens replayed through them, summary at the end"
	@echo "make test      build and run every test (kcat and promtool tests skip when those tools are absent)"
	@echo "make bench     encoder, vector-store and pipeline benchmarks: one report under artifacts/bench"
	@echo "make build-gpu the CUDA build (ONNX Runtime's Linux CUDA package) and its encoder test; falls back to the CPU without a GPU"
	@echo "make evaluate  offline replay evaluation on MovieLens against the baselines (artifacts/eval)"
	@echo "make chaos     seeded chaos run: kills, broker faults; prints lost / applied-twice counts"
	@echo "make up        docker compose: Kafka, Qdrant, Prometheus, Grafana and the services (needs Docker)"

run:
	$(CLI) run $(ARGS)

test:
	./scripts/test.sh

build:
	$(DOTNET) build StreamRec.sln -c Release -nologo

# Restores about 550 MB once. It shares obj/ with the CPU build: the next plain build restores the CPU package again.
build-gpu:
	$(DOTNET) build services/StreamRec.Cli -c Release -nologo -p:StreamRecGpu=true
	$(DOTNET) test tests/StreamRec.Encoding.Tests -c Release -nologo -p:StreamRecGpu=true --filter "FullyQualifiedName~GpuBuildTests|FullyQualifiedName~RealModelVectorTests"

bench:
	$(CLI) bench all --out artifacts/bench $(ARGS)

evaluate:
	$(CLI) evaluate --out artifacts/eval $(ARGS)

chaos:
	$(CLI) chaos $(ARGS)

broker:
	$(CLI) broker $(ARGS)

watch:
	$(CLI) watch $(ARGS)

up:
	docker compose -f infra/docker-compose.yml up -d --build

down:
	docker compose -f infra/docker-compose.yml down

clean:
	$(DOTNET) clean StreamRec.sln -nologo -v quiet
	rm -rf artifacts .streamrec/run
