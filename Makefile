# elf — common tasks. `make help` lists them.
#   make bootstrap SAMPLE_FILE=radar-counts      create things and stream data/radar-counts.json
#   make bootstrap RULE=radar-to-s3              ... through the topic rule data/rules/radar-to-s3.json
#   make clean                                   remove the things, the local state, and the stand-in
SHELL := /bin/bash
.DEFAULT_GOAL := help

SAMPLE_FILE ?= radar-counts## sample: data/<name>.json, data/<name>, or a path
THINGS      ?= 3## how many things bootstrap creates
DURATION    ?= 60## seconds bootstrap streams
INTERVAL    ?= 1## seconds between one thing's messages
QOS         ?= 1## MQTT QoS of bootstrap's messages
TOPIC       ?= elf## topic bootstrap publishes to
STATE_DIR   ?= misc## the fleet state (things.json, certificates, keys)
LOCAL_DIR   ?= .elf## the local stand-in's state, pid and log when bootstrap starts it
SEND_ARGS   ?=## more flags for `elf send`, e.g. SEND_ARGS=--append-thing-name
RULE        ?=## a topic rule to create before sending: data/rules/<name>.json, data/<name>, or a path (a topicRulePayload)
RULE_NAME   ?=## the rule's name (default: RULE's file name, - and . as _)
ROLE_ARN    ?=## on AWS: the IAM role RULE's actions assume (replaces the file's roleArn)
LOCAL_PORT  ?= 4580## the stand-in's control-plane port when bootstrap starts it
LOCAL_MQTT_PORT ?= 8883## the stand-in's MQTT port when bootstrap starts it

# where elf looks for the stand-in when there are no AWS credentials
export ELF_LOCAL_URL := http://127.0.0.1:$(LOCAL_PORT)

ELF := node bin/elf.js
# in a compose service: wait (up to 60 s) until elf has a target, e.g. the `local` service is up
COMPOSE_WAIT := i=0; until node /app/bin/elf.js target >/dev/null 2>&1; do i=$$((i+1)); [ $$i -ge 60 ] && break; sleep 1; done;
SAMPLE := $(firstword $(wildcard data/$(SAMPLE_FILE).json data/$(SAMPLE_FILE) data/$(SAMPLE_FILE).csv $(SAMPLE_FILE)))
RULE_FILE := $(if $(RULE),$(firstword $(wildcard data/rules/$(RULE).json data/rules/$(RULE) data/$(RULE).json data/$(RULE) $(RULE))))
RNAME := $(or $(RULE_NAME),$(subst .,_,$(subst -,_,$(basename $(notdir $(RULE_FILE))))))
RULE_ARGS := $(if $(ROLE_ARN),--role-arn $(ROLE_ARN))

node_modules: package.json package-lock.json
	npm ci
	@touch node_modules

# node_modules is order-only: tools write caches into it, which must not make dist look stale
dist: $(shell find src -name '*.ts' 2>/dev/null) tsconfig.json tsconfig.build.json | node_modules
	npm run build
	@touch dist

.PHONY: help install build test test-browser screenshots typecheck lint bench bootstrap bootstrap-native bootstrap-compose compose-config clean local local-start local-stop container-test
help: ## list the targets and variables
	@echo "targets:"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'
	@echo "variables (make bootstrap VAR=value):"
	@grep -E '^[A-Z_]+ +\?=' $(MAKEFILE_LIST) | sed -E 's/^([A-Z_]+) +\?= *([^#]*)## (.*)/  \1=\2  \3/'

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

# browser tests are named *.browser.test.ts; they need Debian's chromium (apt-get install -y chromium)
test-browser: dist ## only the browser tests (headless Debian chromium; screenshots in test-output/)
	npx vitest run $(wildcard test/e2e/*.browser.test.ts)

screenshots: dist ## renew the README's console pictures (docs/images) from the browser test
	ELF_README_IMAGES=1 npx vitest run test/e2e/console.browser.test.ts test/e2e/console-rules.browser.test.ts

bench: dist ## benchmarks beside peer tools, e.g. ARGS="--scenario 1,2 --quick" (see BENCHMARKS.md)
	node bench/run.mjs $(ARGS)

# ---- the whole flow --------------------------------------------------------------------------
bootstrap: dist ## create THINGS things and stream SAMPLE_FILE for DURATION seconds (AWS with credentials, else the local stand-in)
	@if [ -z "$(SAMPLE)" ]; then echo "make: no sample file for SAMPLE_FILE=$(SAMPLE_FILE) (looked for data/$(SAMPLE_FILE).json, data/$(SAMPLE_FILE), data/$(SAMPLE_FILE).csv, $(SAMPLE_FILE))" >&2; exit 2; fi
	@if [ -n "$(RULE)" ] && [ -z "$(RULE_FILE)" ]; then echo "make: no rule file for RULE=$(RULE) (looked for data/rules/$(RULE).json, data/rules/$(RULE), data/$(RULE).json, data/$(RULE), $(RULE))" >&2; exit 2; fi
	@if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && [ -z "$(NATIVE)" ]; then \
	  echo "make: a Docker engine is available: running elf with Docker Compose (NATIVE=1 to run natively)"; \
	  $(MAKE) --no-print-directory bootstrap-compose; \
	else \
	  echo "make: no Docker engine: running elf natively with $$(node --version)"; \
	  $(MAKE) --no-print-directory bootstrap-native; \
	fi

bootstrap-native: dist
	@if ! $(ELF) target --state-dir $(STATE_DIR) >/dev/null 2>&1; then $(MAKE) --no-print-directory local-start; fi
	@echo "make: target: $$($(ELF) target --state-dir $(STATE_DIR) 2>/dev/null)"
	@if [ -f $(STATE_DIR)/things.json ]; then echo "make: reusing the fleet in $(STATE_DIR) (make clean removes it)"; \
	  else $(ELF) create $(THINGS) --state-dir $(STATE_DIR); fi
	@if [ -n "$(RULE_FILE)" ]; then \
	  if $(ELF) rule show $(RNAME) --state-dir $(STATE_DIR) >/dev/null 2>&1; then echo "make: rule $(RNAME) exists already: left as it is"; \
	  else $(ELF) rule create $(RNAME) --payload file://$(RULE_FILE) --state-dir $(STATE_DIR) $(RULE_ARGS); fi; fi
	$(ELF) send --json-message $(SAMPLE) --duration $(DURATION) --interval $(INTERVAL) --qos $(QOS) --topic $(TOPIC) --state-dir $(STATE_DIR) $(SEND_ARGS)
	@if [ -n "$(RULE_FILE)" ] && [ -f $(LOCAL_DIR)/local.pid ]; then echo "make: rule $(RNAME) ran on the stand-in: its results are under $(LOCAL_DIR)/local/sinks/ (make clean removes the rule)"; fi

# Docker Compose v2 (the `docker compose` plugin) where it is installed, else v1 (`docker-compose`)
COMPOSE = $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
# every variable bootstrap documents, for docker-compose.yml's ${...}
COMPOSE_VARS = ELF_UID=$$(id -u) ELF_GID=$$(id -g) THINGS='$(THINGS)' SAMPLE='$(SAMPLE)' DURATION='$(DURATION)' \
  INTERVAL='$(INTERVAL)' QOS='$(QOS)' TOPIC='$(TOPIC)' SEND_ARGS='$(SEND_ARGS)' STATE_DIR='$(STATE_DIR)' LOCAL_DIR='$(LOCAL_DIR)' \
  RULE_FILE='$(RULE_FILE)' RULE_NAME='$(RNAME)' RULE_ARGS='$(RULE_ARGS)'
# the `local` profile (the stand-in service) unless elf finds AWS credentials (.env, the environment, a profile)
COMPOSE_PROFILE = $$(ELF_LOCAL_URL=http://127.0.0.1:9 $(ELF) target >/dev/null 2>&1 || echo local)

bootstrap-compose: dist
	@case "$(RULE_FILE)" in ""|data/*) ;; *) echo "make: with Docker Compose, RULE must be a file under data/ (the container sees only data/): $(RULE_FILE)" >&2; exit 2;; esac
	@mkdir -p $(STATE_DIR) $(LOCAL_DIR) && echo "$(COMPOSE_PROFILE)" > $(LOCAL_DIR)/compose
	@echo "make: $(COMPOSE), profile: $$(cat $(LOCAL_DIR)/compose || true)"
	$(COMPOSE_VARS) COMPOSE_PROFILES=$$(cat $(LOCAL_DIR)/compose) $(COMPOSE) up --build --exit-code-from elf

compose-config: dist ## print the Compose configuration bootstrap would run (same variables)
	@$(COMPOSE_VARS) COMPOSE_PROFILES=$(COMPOSE_PROFILE) $(COMPOSE) config

clean: ## remove the things (AWS or stand-in), the fleet state, and the stand-in bootstrap started; safe to run twice
	@if [ -f $(LOCAL_DIR)/compose ]; then \
	  echo "make: cleaning up what Docker Compose made"; profile=$$(cat $(LOCAL_DIR)/compose); \
	  if [ -n "$$profile" ]; then $(COMPOSE_VARS) COMPOSE_PROFILES=$$profile $(COMPOSE) up -d local; fi && \
	  $(COMPOSE_VARS) COMPOSE_PROFILES=$$profile $(COMPOSE) run --rm elf "$(COMPOSE_WAIT) node /app/bin/elf.js clean" && \
	  $(COMPOSE_VARS) COMPOSE_PROFILES=$$profile $(COMPOSE) down && rm -f $(LOCAL_DIR)/compose && touch $(LOCAL_DIR)/bootstrap-started; \
	elif [ -e $(STATE_DIR) ]; then $(MAKE) --no-print-directory dist >/dev/null && $(ELF) clean --state-dir $(STATE_DIR); fi
	@$(MAKE) --no-print-directory local-stop
	@if [ -f $(LOCAL_DIR)/bootstrap-started ]; then \
	  owner=$$(cat $(LOCAL_DIR)/local/stand-in.pid 2>/dev/null); \
	  if [ -n "$$owner" ] && kill -0 $$owner 2>/dev/null; then \
	    echo "make: a stand-in that make did not start (pid $$owner) still uses $(LOCAL_DIR)/local: left it running and kept its state; stop it and run make clean again to remove $(LOCAL_DIR)"; \
	  else rm -rf $(LOCAL_DIR); echo "make: removed the stand-in's state $(LOCAL_DIR)"; fi; \
	fi
	@echo "make: clean"

local: dist ## run the local IoT Core stand-in in the foreground (Ctrl-C stops it)
	$(ELF) local --state-dir $(LOCAL_DIR)/local --port $(LOCAL_PORT) --mqtt-port $(LOCAL_MQTT_PORT)

local-start: dist ## start the local stand-in in the background, in its own session (pid and log in LOCAL_DIR)
	@mkdir -p $(LOCAL_DIR) && touch $(LOCAL_DIR)/bootstrap-started
	@echo "make: no AWS credentials: starting the local IoT Core stand-in (log: $(LOCAL_DIR)/local.log)"
	@$(ELF) local --background --state-dir $(LOCAL_DIR)/local --port $(LOCAL_PORT) --mqtt-port $(LOCAL_MQTT_PORT) \
	  --pid-file $(LOCAL_DIR)/local.pid --log-file $(LOCAL_DIR)/local.log || \
	  { echo "make: the stand-in did not start; if a port is in use, its --port is LOCAL_PORT=$(LOCAL_PORT) and its --mqtt-port LOCAL_MQTT_PORT=$(LOCAL_MQTT_PORT): pick free ones, e.g. make bootstrap LOCAL_PORT=4581 LOCAL_MQTT_PORT=8884" >&2; exit 1; }

local-stop: ## stop the stand-in that local-start started
	@if [ -f $(LOCAL_DIR)/local.pid ]; then pid=$$(cat $(LOCAL_DIR)/local.pid); \
	  if kill -0 $$pid 2>/dev/null; then kill -TERM $$pid; for i in $$(seq 1 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; echo "make: stopped the local stand-in (pid $$pid)"; fi; \
	  rm -f $(LOCAL_DIR)/local.pid; fi

container-test: ## build the image and run the flow in containers with podman (see test/container/run.sh)
	bash test/container/run.sh
