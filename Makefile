# auditlake: the two commands that matter are `make demo` (build and run on
# embedded defaults) and `make test` (the whole test suite, as CI runs it).

GO       ?= go
BIN      := bin/auditlake
LAKE     ?= ./data
FUZZTIME ?= 30s

.PHONY: all build demo serve test test-short vet fuzz bench bench-quick clean

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
bench: build
	$(GO) run ./bench/cmd/lakebench -events 1000000 -days 30 -out bench/results

# A small version of the suite, in about a minute.
bench-quick: build
	$(GO) run ./bench/cmd/lakebench -events 100000 -days 7 -reps 3 -out bench/results/quick

clean:
	rm -rf bin
