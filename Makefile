# kechuang: `make demo` builds and serves the demo region; `make test` runs every check. `make help` lists all.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/kechuang
STAMP := $(VENV)/.installed
MO := src/kechuang/locale/zh_Hans/LC_MESSAGES/django.mo

.DEFAULT_GOAL := help
.PHONY: help install demo serve test lint test-sqlite test-postgres system-deps bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# Debian packages: CJK fonts and Pango for PDF reports (WeasyPrint); Chromium for the browser tests, GNU gettext for the
# lint's check that every marked string is in the message catalogue.
PDF_DEBS := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_DEBS := chromium gettext

system-deps: ## Install the Debian packages PDF reports need (and, for tests, Chromium); needs root
	@missing=""; for p in $(PDF_DEBS) $(if $(filter test% lint,$(MAKECMDGOALS)),$(TEST_DEBS)); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "安装系统软件包：$$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "缺少系统软件包：$$missing（请执行 sudo apt-get install$$missing；PDF 报告或浏览器测试可能不可用）"; fi; fi

$(STAMP): pyproject.toml package.json package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	# --ignore-scripts: the front-end packages need no install step, and none may reach the network (telemetry).
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	$(BIN)/kechuang collectstatic --noinput -v0
	touch $(STAMP)

# The compiled message catalogue (git-ignored), rebuilt whenever the catalogue changes.
$(MO): $(STAMP) $(MO:.mo=.po)
	$(BIN)/python tools/catalogue.py compile

install: $(STAMP) $(MO) ## Create the virtual environment and install everything (Python and front-end packages)

demo: system-deps $(STAMP) $(MO) ## Build the demo region (if the database is empty) and serve it at http://127.0.0.1:8000
	$(BIN)/kechuang demo

serve: $(STAMP) $(MO) ## Serve the existing database
	$(BIN)/kechuang serve

lint: system-deps $(STAMP) $(MO) ## ruff (checks and formatting), the house conventions, the message catalogue, Django's system checks, no missing migrations
	$(BIN)/ruff check src tests bench tools scripts
	$(BIN)/ruff format --check src tests bench tools scripts
	$(BIN)/python tools/conventions.py
	$(BIN)/python tools/catalogue.py check
	KECHUANG_DATA_DIR=$$(mktemp -d) $(BIN)/kechuang check --fail-level WARNING
	KECHUANG_DATA_DIR=$$(mktemp -d) $(BIN)/kechuang makemigrations --check --dry-run -v0

test-sqlite: system-deps $(STAMP) $(MO) ## The whole suite on SQLite, browser tests included
	KECHUANG_DATA_DIR=$$(mktemp -d) $(BIN)/pytest -p no:cacheprovider

test-postgres: $(STAMP) $(MO) ## The suite (without browser tests) on PostgreSQL, when a server answers
	@url="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then url="$(PG_URL)"; fi; \
	if [ -z "$$url" ] && [ -n "$${CI:-}" ]; then echo "CI 必须在 PostgreSQL 上运行测试，但 PostgreSQL 不可用"; exit 1; fi; \
	if [ -z "$$url" ]; then echo "PostgreSQL 不可用：跳过 PostgreSQL 测试（设置 TEST_DATABASE_URL 可指定）"; exit 0; fi; \
	echo "在 PostgreSQL 上运行测试：$$url"; \
	KECHUANG_DATA_DIR=$$(mktemp -d) DATABASE_URL="$$url" KECHUANG_REQUIRE_POSTGRES=1 \
	  $(BIN)/pytest -p no:cacheprovider -m "not browser"

test: lint test-sqlite test-postgres ## Lint, then the suite on SQLite and on PostgreSQL

bench: $(STAMP) ## Benchmarks against peers (installs the bench-only dependencies)
	$(BIN)/pip install -q -e ".[test,bench]"
	$(BIN)/python bench/run_all.py

clean: ## Remove the virtual environment, installed assets and collected static files (keeps data/)
	rm -rf $(VENV) node_modules staticfiles
