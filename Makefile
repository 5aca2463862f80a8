# Cuebook: `make run` serves the embedded default, `make test` checks everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8080
WORKERS ?= 2

.PHONY: install run test lint typecheck imports pytest smoke bench bench-deps pg-up clean browser-deps e2e messages vendor monitoring-deps

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/cuebook init --host $(HOST) --port $(PORT)
	$(BIN)/cuebook serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy cuebook engine integrations web player editor_api importers

imports: install
	$(BIN)/lint-imports

pg-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL is not up"; exit 1

# Browser tests: Debian's Chromium driven by playwright-core (package.json).
CHROMIUM ?= /usr/bin/chromium

$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

browser-deps: $(CHROMIUM) node_modules/.package-lock.json

# promtool (Debian's prometheus package) checks deploy/prometheus/cuebook-alerts.yml in the
# tests; where it cannot be installed the rules get the structural check only.
monitoring-deps:
	@command -v promtool >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends prometheus >/dev/null) \
	  || echo "promtool not installed: the alert rules get the structural check only"

pytest: install pg-up browser-deps monitoring-deps
	CUEBOOK_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q

e2e: install pg-up browser-deps
	CUEBOOK_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m browser tests/e2e

# Browser assets vendored from npm (assets/package.json, pinned by its lock file): bpmn-js's,
# dmn-js's (the editor's decision tables) and Swagger UI's prebuilt bundles, CSS, fonts and
# licenses are copied into web/static/vendor/ and committed, so nothing runs Node at run time. Run after changing assets/package.json,
# then commit.
vendor:
	cd assets && npm ci --ignore-scripts --no-audit --no-fund
	$(PYTHON) assets/vendor.py

# Message catalogues (gettext): engine/locale (what a customer hears, in the script's
# language), player/locale and editor_api/locale (the player's and the editor's screens, in the
# reader's language). The .po
# sources and the compiled .mo files are both committed, so nothing compiles at run time.
# `make messages` re-extracts the marked strings, merges them into each language's .po
# (translate new entries there, then run it again) and compiles the .mo files;
# tests/unit/test_catalogues.py fails when a .mo drifts from its .po or lacks a translation.
LANGUAGES := en ru
POT_DIR := var/messages

define catalogue
	for l in $(LANGUAGES); do $(BIN)/pybabel -q update -D $(1) -d $(2) -l $$l \
	  -i $(POT_DIR)/$(1).pot --init-missing --ignore-obsolete --ignore-pot-creation-date \
	  || exit 1; done
	$(BIN)/pybabel compile --statistics -D $(1) -d $(2)
endef

messages: install
	mkdir -p $(POT_DIR)
	$(BIN)/pybabel -q extract --no-default-keywords -k N_ --add-location=file --sort-by-file \
	  --project=Cuebook -o $(POT_DIR)/cuebook.pot engine player/renderers
	$(BIN)/pybabel -q extract -F player/locale/babel.cfg --add-location=file --sort-by-file \
	  --project=Cuebook -o $(POT_DIR)/player.pot player
	$(BIN)/pybabel -q extract -F editor_api/locale/babel.cfg --add-location=file --sort-by-file \
	  --project=Cuebook -o $(POT_DIR)/editor.pot editor_api
	$(call catalogue,cuebook,engine/locale)
	$(call catalogue,player,player/locale)
	$(call catalogue,editor,editor_api/locale)

smoke: install
	CUEBOOK_TEST_DATABASE_URL=sqlite $(BIN)/pytest -q -m smoke

test: lint typecheck imports pytest smoke

# wrk (Debian's package) is the load generator of bench/step.py: a C client that is not the
# bottleneck on the two cores it shares with the server.
bench-deps:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench: install pg-up bench-deps
	CUEBOOK_BENCH_DATABASE_URL=$(PG_URL) $(BIN)/python bench/step.py
	CUEBOOK_BENCH_DATABASE_URL=$(PG_URL) $(BIN)/python bench/step.py --profile
	CUEBOOK_BENCH_DATABASE_URL=$(PG_URL) $(BIN)/python bench/live.py
	CUEBOOK_BENCH_DATABASE_URL=$(PG_URL) $(BIN)/python bench/dialogues.py
	CUEBOOK_BENCH_DATABASE_URL=$(PG_URL) $(BIN)/python bench/integrations.py
	CUEBOOK_BENCH_DATABASE_URL=$(PG_URL) $(BIN)/python bench/explain.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
