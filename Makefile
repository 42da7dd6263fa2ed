# The two set-up commands: `make demo` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: demo test bench install dev clean

$(PY):
	$(PYTHON) -m venv $(VENV)

install: $(PY)
	$(PIP) install -q -e .

dev: $(PY)
	$(PIP) install -q -e '.[dev]'

# The slides' worked example, f = (x + y) z at x = -2, y = 5, z = -4: the table, then the
# pictures (forward, backward, step-by-step GIF) in out/
EXAMPLE := "q = x + y; f = q * z" x=-2 y=5 z=-4
demo: install
	$(PY) -m viz.demo
	@mkdir -p out
	$(VENV)/bin/backprop-lab render $(EXAMPLE) -o out/worked_example_forward.png
	$(VENV)/bin/backprop-lab render $(EXAMPLE) --direction backward -o out/worked_example_backward.png \
		--gif out/worked_example_steps.gif

test: dev
	$(PY) -m pytest -q

bench: dev
	$(PIP) install -q -e '.[dev,bench]'
	@for script in tests/benchmarks/bench_*.py; do $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
