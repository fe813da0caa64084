# Two commands do all the set-up on a fresh machine:
#   make run    installs into .venv and starts chat-server on its defaults (port 8080)
#   make test   installs into .venv (plus Debian's tmux if missing) and runs the whole suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COMPILED := $(VENV)/.compiled
# server.compiled.HOT_MODULES: the per-message hot path mypyc compiles
HOT := server/protocol/parser.py server/protocol/framing.py server/dispatch/core.py server/dispatch/connection.py \
	server/log/memory.py server/log/durable.py server/delivery/fanout.py server/delivery/outbound.py \
	loadtest/payload.py loadtest/receive.py loadtest/tracker.py

.PHONY: run test lint system-deps bench clean

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
	@missing=""; for tool in tmux; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
		else echo "please install:$$missing (tests that need them are skipped)"; fi; \
	fi

test: $(COMPILED) system-deps
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check server client loadtest bench tests
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy bench

bench: $(COMPILED)
	$(PY) -m bench.ceiling
	$(PY) -m bench.modes --ngircd

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build
	find . -name '*.so' -not -path './.venv/*' -delete
	rm -f server/hot_path.sha256.json
