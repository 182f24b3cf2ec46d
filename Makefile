# Two commands do all the set-up on a fresh machine:
#   make run    create .venv if needed, install, and run the service on the embedded default
#   make test   create .venv if needed, install with test dependencies, and run the whole suite
# make run installs no torch; the transformers backend is the optional extra: .venv/bin/pip install -e '.[transformers]'
# (the test dependencies include it).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test lint typecheck check bench bench-crawl bench-analysis bench-corpus bench-shipped bench-console elasticsearch clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/monitor run

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

check: lint typecheck

# Store benchmark on both backends (starts the pinned Elasticsearch unless ELASTICSEARCH_URL is set).
BENCH_DOCS ?= 200000
bench: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench.store_bench --docs $(BENCH_DOCS)

# One crawl cycle over 500 generated feeds with 20 articles each, served with 30 ms latency.
bench-crawl: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench.crawl_bench --feeds 500 --items 20 --latency-ms 30 --concurrency 16

# The whole analysis of generated articles and posts on every core (ANALYSIS_CONFIG: a configs folder,
# e.g. one whose models.yaml pins trained models).
ANALYSIS_CONFIG ?= configs
bench-analysis: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench.analysis_bench --config-dir $(ANALYSIS_CONFIG)

# Time of the console's main pages over CONSOLE_DOCS generated documents in the embedded SQLite store.
CONSOLE_DOCS ?= 100000
bench-console: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench.console_bench --docs $(CONSOLE_DOCS)

# Learning curve of the sklearn recipe on growing slices of the open corpus, scored on a corpus hold-out and
# on the research files of RESEARCH_DATA as out-of-domain tests (only read; nothing is written). ~10 min.
RESEARCH_DATA ?= ../shared/data
bench-corpus: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench.corpus_curve --data-dir $(RESEARCH_DATA)

# The shipped models: the recipe on 80% of the open corpus scored on the other 20%, and the shipped models
# as a fresh install scores with them on the research files of RESEARCH_DATA, next to the word lists. ~5 min.
bench-shipped: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench.shipped_quality --data-dir $(RESEARCH_DATA)

# Download and unpack the pinned Elasticsearch test distribution (make test does this on first use).
elasticsearch: $(VENV)/.installed-test
	$(BIN)/python -m tests.elasticsearch_server fetch

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
