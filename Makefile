# auditlake: the two commands that matter are `make demo` (build and run on
# embedded defaults) and `make test` (the whole test suite, as CI runs it).

GO       ?= go
BIN      := bin/auditlake
LAKE     ?= ./data
FUZZTIME ?= 30s

.PHONY: all build demo serve test test-short vet fuzz bench bench-quick bench-100m clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/auditlake

# Build, create a demo event data store of generated events in $(LAKE) and
# print what to run next.
demo: build
	$(BIN) --lake $(LAKE) demo

serve: build
	$(BIN) --lake $(LAKE) serve

# The full suite with the race detector, as CI runs it.
test: vet
	$(GO) test -race -count=1 -timeout 30m ./...

test-short:
	$(GO) test -short -count=1 ./...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

# Run each fuzz target for $(FUZZTIME).
fuzz:
	$(GO) test ./ingest -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./query -run '^$$' -fuzz '^FuzzValidate$$' -fuzztime $(FUZZTIME)

# The benchmark suite on 1M generated events; writes bench/results/.
# SCALE=10000000 also runs the queries on a 10M-event store.
bench: build
	$(GO) run ./bench/cmd/lakebench -events 1000000 -days 30 -scale "$(SCALE)" -out bench/results

# Every section of the suite at a small size, in under two minutes.
bench-quick: build
	$(GO) run ./bench/cmd/lakebench -events 20000 -days 2 -reps 1 -scale 40000 -windows 1,2 -put-events 10000 \
		-clients-for 2s -load-for 4s -flush-age 1s -raw-timeout 10s -out bench/results/quick

# The suite with the queries also on 10M and 100M events: hours, and about
# 100 GB of scratch space under $TMPDIR/lakebench.
bench-100m: build
	$(GO) run ./bench/cmd/lakebench -events 1000000 -days 30 -scale 10000000,100000000 -out bench/results/100m

# Rows per second streaming 1M rows through the Postgres port (pgx, psql)
# beside DuckDB producing them in process; writes bench/results/pgbench.md.
.PHONY: bench-pg
bench-pg: build
	$(GO) run ./bench/cmd/pgbench -rows 1000000 -out bench/results/pgbench.md

# A streaming store before and after compaction, against one bulk ingest
# of the same 100k events; writes bench/results/compaction.md.
.PHONY: bench-compaction
bench-compaction: build
	$(GO) run ./bench/cmd/compactbench -events 100000 -days 7 -out bench/results/compaction.md

clean:
	rm -rf bin
