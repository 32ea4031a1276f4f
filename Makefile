# agent-operator — every target installs what it needs (npm packages, Go-built
# control-plane binaries cached in ~/.cache/agent-operator) before it runs.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
# npm scripts get node_modules/.bin first on PATH (Node 24 from the `node`
# dev dependency); targets that call node directly use the same PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

CLUSTER_DIR ?= $(CURDIR)/.cluster/default
# e.g. CLUSTER_ARGS=--real-node (a real kubelet beside the kwok nodes; root only)
CLUSTER_ARGS ?=
NODE_STAMP := node_modules/.package-lock.json

.PHONY: images help deps tools cluster-tools test unit e2e typecheck generate verify-generated run demo bench bench-detection bench-modes bench-node-loss bench-shards bench-memory chaos \
        cluster-up cluster-down cluster-status build plugin clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

deps: $(NODE_STAMP) ## install npm packages (pinned Node 24 included)

tools: ## build every tool from Go modules, helm and promtool (the chart and alert tests) included (cached; README: first run)
	hack/build-tools >/dev/null

# What a local control plane and its clients run; not helm or promtool, which
# only the tests need (promtool alone took an hour on a loaded 2-core machine).
cluster-tools: ## build only the binaries a local control plane runs (cached)
	hack/build-tools etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok >/dev/null

images: deps ## the real node's images without Docker: pause, test agent, node-exporter, the operator (docker-save tars; prints their folders)
	hack/build-images
	hack/build-images --operator

test: deps tools ## the whole suite: typecheck, generated files, unit (the chart and its alerts included), e2e on a fresh local control plane
	npm test

unit: deps ## unit tests only (no cluster)
	node hack/test.ts --unit

e2e: deps tools ## e2e tests; uses KUBECONFIG when E2E_USE_KUBECONFIG=1, else a fresh local control plane
	node hack/test.ts --e2e

typecheck: deps
	npm run typecheck

generate: deps ## regenerate crds/, the chart's CRD copy and docs/api.md from src/api
	npm run generate

verify-generated: deps
	node hack/generate.ts --check

plugin: deps ## build the kubectl plugin as one executable, dist/kubectl-agent (Node SEA), and its krew archive and manifest in dist/krew
	node hack/build-plugin.ts

build: deps ## compile to dist/ (what the container image runs)
	npm run build

run: deps cluster-tools ## run the operator against the current KUBECONFIG (installs the CRD first)
	"$$(hack/build-tools --print)/kubectl" apply --server-side -f crds/
	node src/main.ts

cluster-up: cluster-tools ## start a local control plane (etcd, apiserver, controllers, scheduler, kwok nodes; CLUSTER_ARGS=--real-node adds a real kubelet)
	hack/cluster up --dir $(CLUSTER_DIR) $(CLUSTER_ARGS)

cluster-down: ## stop it and remove its state
	hack/cluster down --dir $(CLUSTER_DIR)

cluster-status:
	hack/cluster status --dir $(CLUSTER_DIR)

demo: deps cluster-tools ## the main job: local control plane, operator, example Agents, a failure remediated
	hack/demo

bench: deps cluster-tools ## agent-operator side by side with a Go controller-runtime baseline, one control plane (BENCH_ARGS="--agents 1000 --rounds 2")
	node bench/compare.ts $(BENCH_ARGS)

bench-detection: deps cluster-tools ## agent-operator alone, in detail: detection latency, RSS, writes, restart (BENCH_ARGS="--agents 200")
	node bench/detection.ts $(BENCH_ARGS)

bench-modes: deps cluster-tools ## a DaemonSet Agent on 200 kwok nodes and a 10-replica StatefulSet Agent: convergence, idle writes, detection latency (BENCH_ARGS="--nodes 50")
	node bench/modes.ts $(BENCH_ARGS)

bench-shards: deps cluster-tools ## the same convergence with 1 and with K shards (K operator processes), one control plane (BENCH_ARGS="--agents 1000 --runs 1,2,1:4")
	node bench/shards.ts $(BENCH_ARGS)

bench-memory: deps cluster-tools ## what a standby holding N Agents and their objects keeps: RSS, V8 heap, malloc, heap snapshot; before/after commits side by side, no convergence (BENCH_ARGS="--agents 10000 --snapshot"; --help)
	node bench/cache-memory.ts $(BENCH_ARGS)

bench-node-loss: deps cluster-tools ## MTTR of a lost node: an Agent with the operator's defaults vs the same agent as a plain Deployment (BENCH_ARGS="--replicas 2"; --help)
	node bench/node-loss.ts $(BENCH_ARGS)

chaos: deps cluster-tools ## a fleet under a seeded schedule of faults, plain Deployments vs the operator side by side (CHAOS_ARGS="--agents 100 --minutes 10 --seed 1"; "--real-node 6" adds agents on the real node, root; --help lists all)
	node bench/chaos.ts $(CHAOS_ARGS)

clean: ## remove build output and local clusters (not the binary cache)
	-for d in .cluster/*/; do [ -d "$$d" ] && hack/cluster down --dir "$$d" || true; done
	rm -rf dist .cluster
