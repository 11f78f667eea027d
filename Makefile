# Vigil: `make demo` and `make test` are the whole quick start (README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VIGIL := $(VENV)/bin/vigil
DEMO_OUT := .demo

.PHONY: demo test lint format system-deps kafka-fetch kafka-up kafka-down kafka-status clean

# The compiled readers (sshd/sudo lines, HELK JSON lines; schemas/native, Rust + PyO3, built by
# maturin with cargo) are part of the install: `make test` sets VIGIL_REQUIRE_NATIVE=1 so a
# missing build fails a test instead of silently running the pure-Python path.
NATIVE_SOURCES := $(wildcard schemas/native/Cargo.* schemas/native/pyproject.toml \
	schemas/native/*.pyi schemas/native/src/*.rs)

$(VENV)/.installed: pyproject.toml $(NATIVE_SOURCES)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet ./schemas/native
	touch $@

# The main job on bundled samples: a generated organisation with injected attacks (tenant acme)
# and a real Security-Datasets lateral-movement capture (tenant lab). See benchmarks/samples/.
demo: $(VENV)/.installed
	@rm -rf $(DEMO_OUT) && mkdir -p $(DEMO_OUT)
	$(VIGIL) detect --tenant acme --state $(DEMO_OUT)/acme-state \
		--dead-letter $(DEMO_OUT)/acme-dead-letter.jsonl --stats $(DEMO_OUT)/acme-stats.json \
		--alerts $(DEMO_OUT)/acme-alerts.jsonl benchmarks/samples/demo/logs
	@$(PY) -m pipeline.show $(DEMO_OUT)/acme-alerts.jsonl
	$(VIGIL) detect --tenant lab --alerts $(DEMO_OUT)/lab-alerts.jsonl \
		--dead-letter $(DEMO_OUT)/lab-dead-letter.jsonl \
		benchmarks/samples/lab/covenant_sharpsc_create_dcerpc_smb_svcctl.zip
	@$(PY) -m pipeline.show $(DEMO_OUT)/lab-alerts.jsonl

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict detectors schemas

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The Kafka broker (Apache Kafka from Maven Central, KRaft, 127.0.0.1 only): deploy/kafka/README.md
kafka-fetch:
	bash deploy/kafka/kafka.sh fetch
kafka-up:
	bash deploy/kafka/kafka.sh up
kafka-down:
	bash deploy/kafka/kafka.sh down
kafka-status:
	bash deploy/kafka/kafka.sh status

# Prometheus (promtool + server) from Debian for the deploy tests; its boot-time service is
# disabled because it would listen on 0.0.0.0 (the tests start their own on 127.0.0.1).
system-deps:
	@if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends prometheus >/dev/null; \
		systemctl disable prometheus.service >/dev/null 2>&1 || true; \
	fi

# Starts the broker the integration tests need, runs every test, stops the broker whatever happens.
test: $(VENV)/.installed system-deps lint
	bash deploy/kafka/kafka.sh up
	status=0; VIGIL_REQUIRE_NATIVE=1 $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
		bash deploy/kafka/kafka.sh down --wipe || true; exit $$status

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache schemas/native/target
