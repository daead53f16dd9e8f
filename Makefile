# The two set-up commands named first in README.md: `make demo` and `make test`.
# Everything they need is installed here, into .venv, from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test docs bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# Dependency groups (PEP 735) need pip >= 25.1; the machine's pip may be older.
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $@

demo: $(STAMP)
	$(BIN)/sse-post demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy sse_post
	$(BIN)/python -m pytest
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site
	rm -rf dist && $(BIN)/python -m build --outdir dist . > /dev/null && $(BIN)/twine check --strict dist/*

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The parser's differential fuzz against the spec transcription, far longer than in
# `make test`; hypothesis keeps any failure in .hypothesis/ to replay it.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_parser_props.py -p no:cacheprovider --timeout 0 --hypothesis-show-statistics

# About 7 minutes on the 2-core build machine. BASELINE is the git ref that
# compare_ref.py measures this checkout against (issue 10: no cell may drop by > 5%).
BASELINE ?= main~1
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --group bench
	$(BIN)/python benchmarks/bench_parser.py --rounds 3
	$(BIN)/python benchmarks/bench_client.py --rounds 3 --live-events 1000
	$(BIN)/python benchmarks/abort_latency.py --repeats 10
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_misc.py
	$(BIN)/python benchmarks/bench_sources.py --counts 1,10,100,1000 --sync-counts 1,10,100
	-$(BIN)/python benchmarks/compare_ref.py --baseline $(BASELINE) --rounds 5 --live-events 1000

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
