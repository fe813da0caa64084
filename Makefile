# Two commands do all the set-up on a fresh machine:
#   make run    installs into .venv and starts chat-server on its defaults (port 8080)
#   make test   installs into .venv (plus Debian's tmux, redis-server and chromium if missing) and runs the whole suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COMPILED := $(VENV)/.compiled
# server.compiled.HOT_MODULES: the per-message hot path mypyc compiles
HOT := server/protocol/parser.py server/protocol/framing.py server/dispatch/core.py server/dispatch/connection.py \
	server/log/memory.py server/log/durable.py server/delivery/fanout.py server/delivery/outbound.py \
	loadtest/payload.py loadtest/receive.py loadtest/tracker.py

# irctest, the conformance suite IRC servers run (MIT): CI has a read-only copy beside the clone.
IRCTEST ?= ../shared/irctest
CONFORMANCE_STAMP := $(VENV)/.conformance
CONFORMANCE_XML ?= $(VENV)/conformance.xml
# irctest's general selection (issue 18): what a server of any make is expected to pass.
CONFORMANCE_MARKERS := not implementation-specific and not deprecated and not strict and not services
# The same selection's tests that need accounts (SASL, registration, account-tag...), built in here (issue 17).
SERVICES_MARKERS := services and not implementation-specific and not deprecated and not strict

.PHONY: run test lint system-deps bench clean conformance conformance-services

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,plot]'
	touch $(STAMP)

# Compiled in place where a C compiler is present; without one (or if it fails) the same
# modules run interpreted, only slower. server/compiled.py keeps a stale build from running:
# a build runs only while every source still matches the hashes it recorded.
$(COMPILED): $(STAMP) $(HOT) setup.py server/compiled.py
	@if command -v cc >/dev/null 2>&1; then \
		if CHAT_COMPILE=1 $(PY) setup.py -q build_ext --inplace --force >$(VENV)/compile.log 2>&1; then \
			touch $@; echo "compiled the hot path with mypyc"; \
		else echo "compiling the hot path failed (see $(VENV)/compile.log): it runs interpreted"; fi; \
	else echo "no C compiler (cc): the hot path runs interpreted"; fi

run: $(COMPILED)
	$(VENV)/bin/chat-server $(ARGS)

system-deps:
	@missing=""; for tool in tmux redis-server chromium; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
		else echo "please install:$$missing (tests that need them are skipped)"; fi; \
	fi

test: $(COMPILED) system-deps
	$(PY) -m pytest -q -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check server client loadtest bench tests
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy bench

$(CONFORMANCE_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[test,plot,conformance]'
	touch $(CONFORMANCE_STAMP)

# Runs in $(IRCTEST) (its conftest.py and pytest.ini drive the run) against this checkout's server;
# it writes nothing there. The pass count is the last line.
conformance: $(COMPILED) $(CONFORMANCE_STAMP)
	@test -f $(IRCTEST)/conftest.py || { echo "no irctest at $(IRCTEST): make conformance IRCTEST=/path/to/irctest"; exit 2; }
	-cd $(IRCTEST) && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$(CURDIR) $(CURDIR)/$(PY) -m pytest -p no:cacheprovider \
		--controller tests.conformance.chat_server_controller -m '$(CONFORMANCE_MARKERS)' \
		-n 2 --timeout 60 -q -rf --disable-warnings --junitxml=$(abspath $(CONFORMANCE_XML)) $(CONFORMANCE_ARGS) irctest/server_tests/
	@$(PY) -m tests.conformance.count $(CONFORMANCE_XML)

conformance-services:
	@$(MAKE) --no-print-directory conformance CONFORMANCE_MARKERS='$(SERVICES_MARKERS)'

bench: $(COMPILED)
	$(PY) -m bench.ceiling
	$(PY) -m bench.modes --ngircd

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build
	find . -name '*.so' -not -path './.venv/*' -delete
	rm -f server/hot_path.sha256.json
