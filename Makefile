# The two set-up commands named first in README.md: `make demo` and `make test`.
# Everything they need is installed here, into .venv, from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
SPEEDUPS := $(VENV)/.built-speedups

.PHONY: demo test docs bench fuzz clean

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

demo: $(STAMP)
	$(BIN)/sse-post demo

# Every parser test runs against both parsers, the pure-Python one and the C core; the
# build of the core is optional for users but required here (this machine has a C
# compiler), so a core that failed to build fails the suite.
test: $(STAMP) $(SPEEDUPS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy sse_post
	SSE_POST_REQUIRE_EXTENSIONS=1 $(BIN)/python -m pytest
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site
	rm -rf dist && $(BIN)/python -m build --outdir dist . > /dev/null && $(BIN)/twine check --strict dist/*

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The parser's differential fuzz against the spec transcription, far longer than in
# `make test`; hypothesis keeps any failure in .hypothesis/ to replay it.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_parser_props.py -p no:cacheprovider --timeout 0 --hypothesis-show-statistics

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --group bench
	$(BIN)/python benchmarks/bench_parser.py --rounds 3
	$(BIN)/python benchmarks/bench_client.py --rounds 3
	$(BIN)/python benchmarks/abort_latency.py --repeats 10
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_misc.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build sse_post.egg-info sse_post/*.so
