# Two commands on a fresh machine: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install browser webserver postgres site check lint format bench clean

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(BIN)/.installed

# Browser tests need Debian's Chromium (Playwright drives it; its own browser downloads are not used).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing Chromium for the browser tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	fi

# tests/test_web_server.py runs README's nginx configuration under Debian's nginx, with a certificate made by openssl.
webserver:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] || ! command -v openssl >/dev/null 2>&1; then \
	  echo "Installing nginx and openssl for the web server tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nginx openssl >/dev/null; \
	fi

# The store's tests run against PostgreSQL too: Debian's server binaries, started by the tests themselves on a
# Unix socket in a temporary folder (see tests/postgres.py). Nothing listens on the network.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Installing PostgreSQL for the database tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

check: install
	$(BIN)/python build.py check

site: install
	$(BIN)/python build.py site

# The site at / and the service at /app/ on one origin, under a production WSGI server. The demo data are
# seeded first (once; later runs keep the store as it is), so the site is built with the service's register
# of schools holding the mark. The access log leaves out query strings: sign-in links carry their token there.
run: install
	$(BIN)/flask --app form_service seed-demo
	$(BIN)/flask --app form_service export-register build/register.json
	$(BIN)/python build.py site --register build/register.json
	@echo "Site: http://$(HOST):$(PORT)/  Service: http://$(HOST):$(PORT)/app/  (Ctrl+C to stop)"
	SERVICE_URL=$${SERVICE_URL:-http://$(HOST):$(PORT)/app} \
	  $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --preload \
	  --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms' \
	  form_service.wsgi:application

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install browser webserver postgres lint check
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/build_speed.py

clean:
	rm -rf build .pytest_cache .ruff_cache
