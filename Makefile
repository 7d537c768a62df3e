# The two commands a user needs are `make demo` and `make test`; see README.md.
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 30s
BENCHCOUNT ?= 6
BENCHTIME ?= 1s
BENCHOUT ?= bench/out
BENCHPKG ?= ./...

.PHONY: all generate check-generated vet vet-bench gofmt test test-unit bench-smoke bench fuzz demo soak tools

all: test

## generate: regenerate gen/ from schemas/ (crdtgen)
generate:
	$(GO) generate ./...

## check-generated: fail when `go generate ./...` would change the tree
check-generated: generate
	@if [ -n "$$(git status --porcelain -- gen internal/codegen/testdata)" ]; then \
		echo "generated code is stale: run 'make generate' and commit the result" >&2; \
		git status --porcelain -- gen internal/codegen/testdata >&2; \
		git --no-pager diff --stat -- gen >&2; exit 1; fi

## vet: go vet both modules, and fail on a Go file gofmt would change
vet: vet-bench gofmt
	$(GO) vet ./...

vet-bench:
	cd bench && $(GO) vet ./...

gofmt:
	@unformatted="$$(git ls-files '*.go' | xargs "$$($(GO) env GOROOT)/bin/gofmt" -l)"; if [ -n "$$unformatted" ]; then \
		echo "not gofmt-clean (run gofmt -w on them):" >&2; echo "$$unformatted" >&2; exit 1; fi

## test: vet, the generated-code check, all tests with -race (fuzz seed corpora included), bench smoke run.
##       The root module is vetted by go test itself (-vet=all: every analyzer, as go vet runs),
##       so its ~900 packages are compiled once, with -race, not a second time without.
test: vet-bench gofmt check-generated test-unit bench-smoke

test-unit:
	$(GO) test -race -vet=all -timeout 12m ./...

## bench-smoke: compile and run every peer benchmark once so they never rot
bench-smoke:
	cd bench && $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 10m ./...

## bench: side-by-side benchmarks against peer libraries, benchstat tables in $(BENCHOUT)
##        (BENCHPKG=./codec runs one area). BENCHCOUNT rounds each run every
##        benchmark once, so a slow spell of the machine falls on every
##        implementation alike instead of on whichever ran its samples then.
bench:
	@mkdir -p $(BENCHOUT)
	@rm -f $(BENCHOUT)/raw.txt
	set -o pipefail; cd bench && for round in $$(seq $(BENCHCOUNT)); do \
		$(GO) test -run '^$$' -bench . -benchmem -count 1 -benchtime $(BENCHTIME) -timeout 60m $(BENCHPKG) \
			| tee -a $(abspath $(BENCHOUT))/raw.txt || exit 1; done
	$(GO) run golang.org/x/perf/cmd/benchstat -col /impl $(BENCHOUT)/raw.txt | tee $(BENCHOUT)/benchstat.txt

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; done

## soak: longer randomised runs (more seeds) than make test
soak:
	SOAK=1 $(GO) test -race -timeout 60m -run 'Linearizab|Soak|Random' ./runtime/...

## demo: the README's main command
demo: generate
	$(GO) run ./cmd/dwnode/demo
