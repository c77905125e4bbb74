# The two commands: `make run` and `make test`. Everything else supports them.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PYBABEL := $(VENV)/bin/pybabel

.PHONY: run test install fonts catalogs messages lint bench e2e browser clean

run: install
	$(PY) bot.py migrate
	$(PY) bot.py start

test: install
	$(PY) -m pytest

install: $(VENV)/.installed fonts catalogs

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	touch $@

# Chinese labels in charts and documents need a CJK font (Debian's WenQuanYi Micro Hei); the
# tests read PDFs back with pdftotext (poppler-utils).
fonts:
	@fc-list 2>/dev/null | grep -qiE "wqy|Noto Sans CJK" || \
	  { [ "$$(id -u)" = 0 ] && { apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && apt-get install -y -qq fonts-wqy-microhei >/dev/null; }; } || \
	  echo "warning: install fonts-wqy-microhei for Chinese text in charts"; }
	@command -v pdftotext >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && { apt-get install -y -qq poppler-utils >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && apt-get install -y -qq poppler-utils >/dev/null; }; } || \
	  echo "warning: install poppler-utils (pdftotext) for the tests that read PDFs back"; }

# Compile the gettext catalogs (locales/*/LC_MESSAGES/messages.mo) from the .po files.
catalogs: $(VENV)/.installed
	@$(PYBABEL) compile -d locales -D messages >/dev/null

# Re-extract messages after changing user-facing strings, then translate the .po files.
messages: $(VENV)/.installed
	$(PYBABEL) extract -F babel.cfg -k N_ -k plain -k ngettext:1,2 --add-comments=NOTE \
	  --no-location --sort-output -o locales/messages.pot .
	$(PYBABEL) update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The browser test of the demo: Debian's Chromium (and an emoji font), driven by Playwright.
e2e: install browser
	$(PY) -m pytest tests/e2e --e2e -q

browser:
	@command -v chromium >/dev/null 2>&1 || \
	  { apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }; }

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache data/demo.db
