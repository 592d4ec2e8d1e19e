# Rampart — make targets. `make` alone prints this help.
GO       ?= go
BIN      := bin/rampart
PKGS     := ./...
FUZZTIME ?= 20s
export GOTOOLCHAIN := local
export GOFLAGS     := -buildvcs=false

.DEFAULT_GOAL := help

.PHONY: help build run test test-short race bench fuzz lint check generate tidy clean eval

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the single static binary bin/rampart
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN) ./cmd/rampart

run: build ## run the gateway with the built-in demo upstream (rampart serve --demo)
	./$(BIN) serve --demo

test: build ## run every test with the race detector (needs Redis and PostgreSQL; .ci/run starts them)
	$(GO) vet $(PKGS)
	RAMPART_BIN=$(CURDIR)/$(BIN) $(GO) test -race -count=1 -timeout 20m $(PKGS)

test-short: ## quick unit tests, no race detector, no end-to-end
	$(GO) test -short -count=1 $(PKGS)

bench: build ## run the benchmarks (hot paths and the gateway-vs-bare-proxy load benchmark)
	RAMPART_BIN=$(CURDIR)/$(BIN) $(GO) test -run '^$$' -bench . -benchmem -benchtime=1x -count=1 ./test/load/
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

fuzz: ## run every fuzz target for $(FUZZTIME) each
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

lint: ## go vet, gofmt and staticcheck
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed" && exit 1)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

check: lint test ## lint and the full test suite (CI runs make test)

generate: ## regenerate generated tables (confusables, gitleaks rules)
	$(GO) generate $(PKGS)

eval: build ## measure the detectors on the shared dev splits
	./$(BIN) eval ../shared/datasets/injection/dev.jsonl
	./$(BIN) eval testdata/ood/all.jsonl
	./$(BIN) eval ../shared/datasets/pii/dev.jsonl
	./$(BIN) eval ../shared/datasets/secrets/gitleaks_rule_examples.jsonl

tidy: ## go mod tidy
	$(GO) mod tidy

clean: ## remove build output and the demo data directory
	rm -rf bin rampart-data
