# The project's entry points. Each target first makes sure .venv is set up (tools/setup_env.sh:
# a no-op when up to date, a long mmcv build the first time on a machine).
PY := .venv/bin/python
CONFIG ?= configs/synthetic/vsgt-tiny_synthetic.py

.PHONY: env quickstart test

env:
	bash tools/setup_env.sh

quickstart: env
	$(PY) tools/quickstart.py --config $(CONFIG)

test: env
	$(PY) -m pytest tests projects -q
