# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements
DEV_STAMP := $(VENV)/.requirements-dev
# the wheels are built by PyBuilder from a venv of its own, so .venv holds only what runs
TOOLS  := build/tools
TOOLS_PY := $(TOOLS)/bin/python
TOOLS_STAMP := $(TOOLS)/.requirements
DATA   ?= ./data
BIND   ?= 127.0.0.1:5000
DEMO_BIND ?= 127.0.0.1:5055
INSTALLED := $(VENV)/.installed
# what the wheels are made of: they are built and installed again only when one changed
SOURCES := $(shell find irq_server irq_client irqbalance -path '*/src/main/*' -type f \
             -not -name '*.pyc' -not -path '*/__pycache__/*') \
           build.py project_build.py irq_server/build.py irq_client/build.py irqbalance/build.py

.PHONY: run test demo dev dist install dist-check bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

$(TOOLS_STAMP): requirements-build.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS_PY) -m pip install -q -r requirements-build.txt
	touch $@

dist: $(TOOLS_STAMP)
	rm -rf dist
	$(TOOLS_PY) build.py

install: $(INSTALLED)

$(INSTALLED): $(STAMP) $(TOOLS_STAMP) $(SOURCES)
	rm -rf dist
	$(TOOLS_PY) build.py
	$(PY) -m pip install -q --no-deps --force-reinstall dist/*.whl
	touch $@

run: install  ## serve this machine's IRQs on 127.0.0.1:5000
	$(VENV)/bin/irq-server --bind $(BIND) --data-dir $(DATA)

demo: install  ## serve a simulated 64-CPU, 2-node, 500-IRQ host on 127.0.0.1:5055
	$(VENV)/bin/irq-server --simulate 64:2:500 --bind $(DEMO_BIND) --data-dir $(DATA)/demo

dev: install $(DEV_STAMP)  ## the development tools (pytest, mypy, ...) without running anything

test: install $(DEV_STAMP)  ## the whole suite, then the client's and the balancer's types
	$(PY) -m mypy  # mypy.ini: irq_client and irqbalance, --strict
	$(PY) -m pytest

dist-check: dist  ## the wheels install into a fresh venv and their commands run
	rm -rf build/dist-check && $(PYTHON) -m venv build/dist-check
	build/dist-check/bin/pip install -q dist/*.whl
	build/dist-check/bin/irq-server --version && build/dist-check/bin/irq-server --help > /dev/null
	build/dist-check/bin/irq-client --version && build/dist-check/bin/irq-client --help > /dev/null
	build/dist-check/bin/irq-balance --version && build/dist-check/bin/irq-balance --help > /dev/null
	@echo "dist-check: the three wheels install into a fresh venv and their commands run"

bench: install $(DEV_STAMP)
	$(PY) -m pip install -q -r benchmarks/requirements.txt
	$(PY) benchmarks/parse.py
	$(PY) benchmarks/api.py
	$(PY) benchmarks/history.py
	$(PY) benchmarks/sampler.py
	$(PY) benchmarks/balance.py
	$(PY) benchmarks/runs.py
	$(PY) benchmarks/registry.py
	$(PY) benchmarks/slowclients.py

clean:
	rm -rf dist build $(VENV) */target .pytest_cache
