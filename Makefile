# make validate / make test on a fresh Debian or Ubuntu machine: everything else is set up here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: setup faketime validate test test-policy bench clean

setup: $(STAMP) kustomize monitoring-tools faketime

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { $(APT) update -qq && $(APT) install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check \
	  $$($(PYTHON) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print(" ".join(p["dependencies"] + p["optional-dependencies"]["test"]))')
	rm -f $(VENV)/.installed-* && touch $@

# kustomize >= 5 on PATH, else kubectl >= 1.27 (kustomize v5 inside), else a pinned kubectl in .venv/bin.
kustomize: $(STAMP)
	@command -v kustomize >/dev/null && kustomize version | grep -q '^v\?5' \
	  || kubectl version --client 2>/dev/null | grep -q 'Kustomize Version: v5' \
	  || [ -x $(VENV)/bin/kubectl ] \
	  || $(PY) tools/install_kubectl.py $(VENV)/bin

# promtool and amtool at the versions the overlays deploy (Debian sid's builds run on Debian 12),
# unpacked into .venv/bin: nothing installed system-wide, no service started.
PROMTOOL_DEB := promtool=3.5.3+ds1-6
AMTOOL_DEB := prometheus-alertmanager=0.33.1-5
monitoring-tools: $(STAMP)
	@$(PY) tools/fetch_debs.py --suite sid $(VENV)/bin '$(PROMTOOL_DEB):usr/bin/promtool' '$(AMTOOL_DEB):usr/bin/amtool'

# libfaketime for the command-line tests' clock, unpacked into .venv (never installed system-wide).
faketime: $(STAMP)
	@$(PY) tools/fetch_debs.py $(VENV)/lib/faketime 'libfaketime:*/faketime/libfaketime.so.1'

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
