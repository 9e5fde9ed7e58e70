# Two commands set up a fresh machine and do the job:
#   make demo   the virtual-board demo
#   make test   the whole test suite (what CI runs)
# Everything is installed into .venv from PyPI; nothing else is assumed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test typecheck bench clean

EMU := host_tools/ringcue/sim/rp2040

setup: $(VENV)/.installed $(EMU)/node_modules/.installed

# rp2040js for the emulated Pico (pinned by its own package-lock.json; the
# repo root's package.json is mip's). Without npm only that board kind is missing.
$(EMU)/node_modules/.installed: $(EMU)/package.json $(EMU)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --silent --no-audit --no-fund --prefix $(EMU) && touch $@; \
	else echo "make setup: npm not found; the emulated Pico (ringcue sim start --board pico) needs Node.js and npm" >&2; fi

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sim,test]'
	touch $@

demo: setup
	$(BIN)/ringcue demo

# pytest exits 5 when it collected no tests: that is a failure here.
test: setup
	@$(BIN)/python -m pytest -n auto $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest ran no tests" >&2; exit 1; fi; exit $$rc

# The firmware against the Pico's and the ESP32-C3's MicroPython stubs (also
# part of `make test`; the stubs go to build/typings on first use).
typecheck: setup
	$(BIN)/python -m pytest -q tests/firmware/test_typecheck.py

bench: setup
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_jitter.py
	$(BIN)/python bench/bench_board.py
	$(BIN)/python bench/bench_log.py
	$(BIN)/python bench/bench_recover.py
	$(BIN)/python bench/bench_flash.py
	$(BIN)/python bench/bench_soak.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_groups.py
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_merge.py
	$(BIN)/python bench/bench_pico.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info $(EMU)/node_modules
