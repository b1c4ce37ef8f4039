# genie: a peer cluster of identical job-orchestration nodes.

GO       ?= go
BIN      := bin/genie
PKGS     := ./...
# Tests and benchmarks keep their temporary data dirs beside the checkout.
TESTTMP  := $(CURDIR)/.tmp

.PHONY: build run test bench lint fuzz clean cluster cluster-stop image chaos tools

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/genie

# A development node: temporary data dir, local archive, a demo cluster and
# commands. Ctrl-C stops it.
run: build
	./$(BIN) agent -dev

# A local cluster of N nodes on 127.0.0.1 (state in .cluster/); see
# scripts/cluster.sh for add, remove, kill, restart, status and clean.
# Secured (ACLs, TLS, gossip encryption; secrets in .cluster/secrets/)
# unless SECURE=0.
N ?= 3
cluster: build
	$(if $(SECURE),GENIE_SECURE=$(SECURE) )scripts/cluster.sh start $(N)

cluster-stop:
	scripts/cluster.sh stop

# The container image, FROM scratch (see deploy/Dockerfile).
IMAGE ?= genie:dev
image:
	scripts/image.sh $(IMAGE)

# The chaos suite: a 3-node cluster in containers under client load through
# kills, pauses, partitions and restarts (chaos/). GENIE_CHAOS_REPS sets how
# many times each fault is injected (default 2).
chaos:
	scripts/image.sh genie:chaos
	mkdir -p $(TESTTMP)
	TMPDIR=$(TESTTMP) GENIE_IMAGE=genie:chaos $(GO) test -tags chaos -count=1 -v -timeout 40m -run 'TestChaos|TestCompose' ./chaos
	# One round of each fault on the other raft log store.
	TMPDIR=$(TESTTMP) GENIE_IMAGE=genie:chaos GENIE_CHAOS_REPS=1 GENIE_RAFT_LOG_STORE=bolt $(GO) test -tags chaos -count=1 -v -timeout 40m -run 'TestChaos' ./chaos

# Tools the tests run: versitygw, a real S3-protocol server (it checks
# request signatures as AWS does). Installed once into .tools/.
VERSITYGW_VERSION := v1.8.0
tools: .tools/versitygw
.tools/versitygw:
	GOBIN=$(CURDIR)/.tools $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

# The whole suite, as CI runs it.
test: lint tools
	mkdir -p $(TESTTMP)
	TMPDIR=$(TESTTMP) $(GO) test -count=1 -timeout 30m $(PKGS)
	# The node and cluster suites again on the other raft log store.
	TMPDIR=$(TESTTMP) GENIE_TEST_RAFT_LOG_STORE=bolt $(GO) test -count=1 -timeout 30m ./node

# Benchmarks with figures for the README: submissions, end-to-end jobs
# against raw process starts, memory with 10,000 finished jobs, the runner.
bench: tools
	mkdir -p $(TESTTMP)
	export TMPDIR=$(TESTTMP); \
	$(GO) test -run '^$$' -bench 'BenchmarkSubmit' -benchtime 20000x ./node && \
	$(GO) test -run '^$$' -bench 'BenchmarkEndToEndTrue' -benchtime 3000x ./node && \
	$(GO) test -run '^$$' -bench 'BenchmarkNodeRSSWithFinishedJobs' -benchtime 1x ./cmd/genie && \
	$(GO) test -run '^$$' -bench 'BenchmarkClusterSubmit$$' -benchtime 10000x ./node && \
	$(GO) test -run '^$$' -bench 'BenchmarkClusterSubmitSecured' -benchtime 20000x ./node && \
	$(GO) test -run '^$$' -bench 'BenchmarkRaftApply' -benchtime 20000x ./node && \
	$(GO) test -run '^$$' -bench 'BenchmarkClusterBurstBalance' -benchtime 5x ./node && \
	$(GO) test -run '^$$' -bench 'BenchmarkLeaderFailover' -benchtime 7x ./cmd/genie && \
	$(GO) test -run '^$$' -bench 'BenchmarkClusterCostPerJob' -benchtime 3000x ./cmd/genie && \
	$(GO) test -run '^$$' -bench 'BenchmarkClusterQueue' -benchtime 10000x -timeout 30m ./cmd/genie && \
	$(GO) test -run '^$$' -bench 'BenchmarkIdleCluster' -benchtime 3x ./cmd/genie && \
	$(GO) test -run '^$$' -bench 'BenchmarkBlockingQueries' -benchtime 3000x ./cmd/genie && \
	$(GO) test -run '^$$' -bench . -benchtime 500x ./runner && \
	$(GO) test -run '^$$' -bench BenchmarkStateAtScale -benchtime 10x ./fsm && \
	$(GO) test -run '^$$' -bench BenchmarkApplySubmissions -benchtime 20000x ./fsm && \
	$(GO) test -run '^$$' -bench BenchmarkNodeAtScale -benchtime 1x ./node && \
	$(GO) test -run '^$$' -bench BenchmarkFetch -benchtime 200x ./blob && \
	$(GO) test -run '^$$' -bench BenchmarkS3ArchiveUpload -benchtime 20x ./archive

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags chaos $(PKGS)

# Run each fuzz target for a while (FUZZTIME each); `make test` runs their seeds.
FUZZTIME ?= 30s
FUZZPKGS := ./transport ./acl ./node
fuzz:
	@for pkg in $(FUZZPKGS); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin $(TESTTMP) .tools
