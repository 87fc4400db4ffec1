# elf — common tasks. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

node_modules: package.json package-lock.json
	npm ci
	@touch node_modules

dist: node_modules $(shell find src -name '*.ts' 2>/dev/null) tsconfig.json tsconfig.build.json
	npm run build
	@touch dist

.PHONY: help install build test typecheck lint ci
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

install: node_modules ## install dependencies (npm ci)

build: dist ## compile TypeScript to dist/

typecheck: node_modules ## type-check sources and tests
	npm run typecheck

lint: node_modules ## eslint
	npm run lint

test: node_modules ## install, build, typecheck, lint and run the whole test suite
	npm run typecheck
	npm run lint
	npm test

.PHONY: bench
bench: dist ## benchmarks beside peer tools (ARGS="--scenario 1 --quick"); see BENCHMARKS.md
	node bench/run.mjs $(ARGS)
