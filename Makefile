# The two set-up commands named first in README.md: `make demo` and `make test`.
# Everything they need is installed here from pyproject.toml: the demo into its own small
# .venv-demo (the package and its two dependencies, seconds on a fresh clone), the test,
# lint and docs toolchain into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
SPEEDUPS := $(VENV)/.built-speedups

LOWEST := .venv-lowest
.PHONY: demo test test-lowest docs bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# Dependency groups (PEP 735) need pip >= 25.1; the machine's pip may be older.
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $@

# The editable install builds the C parser core (sse_post._speedups) in place; this
# rebuilds it when its source changes afterwards.
$(SPEEDUPS): $(STAMP) sse_post/_speedups.c setup.py
	$(BIN)/python setup.py --quiet build_ext --inplace
	touch $@

# A plain (not editable) install, as a user gets it; reinstalled when the package changes.
# No pip upgrade: installing the package needs no dependency groups.
$(DEMO_STAMP): pyproject.toml $(wildcard sse_post/*.py)
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check .
	touch $@

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/sse-post demo

# Every parser test runs against both parsers, the pure-Python one and the C core; the
# build of the core is optional for users but required here (this machine has a C
# compiler), so a core that failed to build fails the suite.
test: $(STAMP) $(SPEEDUPS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy sse_post
	# tests/test_site.py builds the docs with --strict and checks every page shows its code.
	SSE_POST_REQUIRE_EXTENSIONS=1 $(BIN)/python -m pytest
	rm -rf dist && $(BIN)/python -m build --outdir dist . > /dev/null && $(BIN)/twine check --strict dist/*
	$(MAKE) test-lowest

# The suite once more on the lowest versions the package declares (scripts/floors.py).
$(LOWEST)/.installed: pyproject.toml scripts/floors.py
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	$(LOWEST)/bin/python -m pip install --quiet -e . --group dev
	$(LOWEST)/bin/python -m pip install --quiet --no-deps $$($(LOWEST)/bin/python scripts/floors.py)
	touch $@

test-lowest: $(LOWEST)/.installed
	$(LOWEST)/bin/python scripts/floors.py --check
	SSE_POST_REQUIRE_EXTENSIONS=1 $(LOWEST)/bin/python -m pytest -q

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
	$(BIN)/python benchmarks/bench_live_counted.py --events 500
	$(BIN)/python benchmarks/abort_latency.py --repeats 10
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_misc.py
	$(BIN)/python benchmarks/bench_sources.py --counts 1,10,100,1000 --sync-counts 1,10,100
	-$(BIN)/python benchmarks/compare_ref.py --baseline $(BASELINE) --rounds 5 --live-events 1000

clean:
	rm -rf $(VENV) $(DEMO_VENV) $(LOWEST) .mypy_cache .pytest_cache .ruff_cache build sse_post.egg-info sse_post/*.so
