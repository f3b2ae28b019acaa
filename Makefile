# The two commands of the README:  `make book`  and  `make test`.
# Both create the virtual environment on first use (Python 3.11 and make are all they need).

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
export SOURCE_DATE_EPOCH = 0
export PYTHONHASHSEED = 0

.PHONY: book test lint test-other-machine outputs env clean bench check-site check-lab lab assignment grade

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

## Build the HTML book: execute every notebook, fail on any warning or failing cell.
book: $(STAMP)
	$(PY) tools/vendor_assets.py
	rm -rf _build/html _build/site-check  # pages of renamed chapters must not linger
	env -u SOURCE_DATE_EPOCH $(VENV)/bin/jupyter-book build . --all -n -W --keep-going

## Lint and type-check the package: ruff (lint and format) and mypy --strict (pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check inferecon tests tools conftest.py
	$(VENV)/bin/ruff format --check inferecon
	$(VENV)/bin/mypy --strict inferecon

## Run every test: lint, package unit tests and nbval (strict) on every chapter notebook.
test: $(STAMP) lint
	$(PY) -m pytest -n 2 --dist loadscope --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg

## The same tests as on another CPU: another OpenBLAS kernel, numpy without its newer SIMD paths.
test-other-machine: $(STAMP)
	$(PY) tools/other_machine.py $(PY) -m pytest -n 2 --dist loadscope --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg

## Re-execute the chapters and store their outputs (run after changing the package).
outputs: $(STAMP)
	$(PY) tools/execute_notebooks.py

## Open every built page offline in headless Chromium at 1280 px and at 390 px (a phone): fail on any
## console error, failed request, broken link, untypeset math, unrendered or live-looking widget,
## missing figure, content cut off without a visible scrollbar; screenshots in _build/site-check/.
check-site: $(STAMP)
	test -f _build/html/index.html || $(MAKE) book
	$(PY) tools/check_site.py _build/html

## Students: open a working copy of the chapters (lab/) in the pinned JupyterLab with jupyterlab-myst.
lab: $(STAMP)
	$(PY) tools/lab.py

## Open every chapter in the pinned JupyterLab in headless Chromium, run all cells, check and screenshot.
check-lab: $(STAMP)
	$(PY) tools/check_lab.py _build/lab-check

## Instructors: student edition, perfect submissions and the nbgrader autograder in _build/assignment.
assignment: $(STAMP)
	$(PY) tools/assignment.py build _build/assignment

## Instructors: grade SUBMISSIONS/<student>/NN_slug.ipynb into SUBMISSIONS/grades.csv.
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=<folder>" && exit 2)
	test -d _build/assignment/autograder || $(PY) tools/assignment.py build _build/assignment
	$(PY) tools/assignment.py grade "$(SUBMISSIONS)" _build/assignment

bench: $(STAMP)
	$(PY) tools/benchmark.py

clean:
	rm -rf _build
