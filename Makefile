# Two commands do all the set-up on a fresh machine:
#   make run    installs into .venv and starts chat-server on its defaults (port 8080)
#   make test   installs into .venv (plus Debian's tmux if missing) and runs the whole suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint system-deps bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,plot]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/chat-server $(ARGS)

system-deps:
	@missing=""; for tool in tmux; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
		else echo "please install:$$missing (tests that need them are skipped)"; fi; \
	fi

test: $(STAMP) system-deps
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check server client loadtest bench tests
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy bench

bench: $(STAMP)
	$(PY) -m bench.ceiling
	$(PY) -m bench.modes --ngircd

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
