# kechuang: `make demo` builds and serves the demo region; `make test` runs every check. `make help` lists all.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/kechuang
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo serve test lint test-sqlite test-postgres browser-deps bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml package.json package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/kechuang collectstatic --noinput -v0
	touch $(STAMP)

install: $(STAMP) ## Create the virtual environment and install everything (Python and front-end packages)

demo: $(STAMP) ## Build the demo region (if the database is empty) and serve it at http://127.0.0.1:8000
	$(BIN)/kechuang demo

serve: $(STAMP) ## Serve the existing database
	$(BIN)/kechuang serve

lint: $(STAMP) ## ruff, Django's system checks, and no missing migrations
	$(BIN)/ruff check src tests bench
	KECHUANG_DATA_DIR=$$(mktemp -d) $(BIN)/kechuang check --fail-level WARNING
	KECHUANG_DATA_DIR=$$(mktemp -d) $(BIN)/kechuang makemigrations --check --dry-run -v0

browser-deps: ## Install Debian's Chromium and CJK fonts for the browser tests (needs root)
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "未找到 chromium：浏览器测试将跳过（sudo apt-get install chromium fonts-noto-cjk）"; fi; fi

test-sqlite: $(STAMP) browser-deps ## The whole suite on SQLite, browser tests included
	KECHUANG_DATA_DIR=$$(mktemp -d) $(BIN)/pytest -p no:cacheprovider

test-postgres: $(STAMP) ## The suite (without browser tests) on PostgreSQL, when a server answers
	@url="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then url="$(PG_URL)"; fi; \
	if [ -z "$$url" ]; then echo "PostgreSQL 不可用：跳过 PostgreSQL 测试（设置 TEST_DATABASE_URL 可指定）"; exit 0; fi; \
	echo "在 PostgreSQL 上运行测试：$$url"; \
	KECHUANG_DATA_DIR=$$(mktemp -d) DATABASE_URL="$$url" $(BIN)/pytest -p no:cacheprovider -m "not browser"

test: lint test-sqlite test-postgres ## Lint, then the suite on SQLite and on PostgreSQL

bench: $(STAMP) ## Benchmarks against peers (installs the bench-only dependencies)
	$(BIN)/pip install -q -e ".[test,bench]"
	$(BIN)/python bench/run_all.py

clean: ## Remove the virtual environment, installed assets and collected static files (keeps data/)
	rm -rf $(VENV) node_modules staticfiles
