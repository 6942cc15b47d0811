"""checks/registry.py: each listed check's ID and scope are its module's, every check module is
listed, and a run whose results are all remembered loads no check module."""
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from fks_gitops import checks
from fks_gitops.checks import context


def test_each_entry_is_its_modules_id_and_scope():
    for check in checks.CHECKS:
        module = check.load()
        assert (check.ID, check.SCOPE) == (module.ID, module.SCOPE), check.module
        assert check.SCOPE in (context.ENVIRONMENT, context.REPOSITORY, context.FILES)


def test_every_check_module_is_listed_once():
    folder = Path(checks.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if "\nID" in "\n" + p.read_text()}
    listed = [c.module for c in checks.CHECKS]
    assert sorted(listed) == sorted(modules) and len({c.ID for c in checks.CHECKS}) == len(listed)
    assert set(checks.SECRETS) <= {c.ID for c in checks.CHECKS}


def test_a_run_where_everything_is_remembered_loads_no_check(repo_copy, tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "FKS_GITOPS_NO_CACHE": "0"}
    code = ("import json, sys; from pathlib import Path; from fks_gitops.validate import validate; "
            f"r = validate(Path({str(repo_copy)!r})); print(json.dumps([r.reused, sorted(sys.modules)]))")
    argv = [sys.executable, "-c", code]
    subprocess.run(argv, cwd=REPO / "tools", env=env, capture_output=True, check=True)
    reused, modules = json.loads(subprocess.run(argv, cwd=REPO / "tools", env=env, capture_output=True, check=True).stdout)
    assert reused == ["dev", "staging", "prod"]
    loaded = {m.removeprefix("fks_gitops.checks.") for m in modules} & {c.module for c in checks.CHECKS}
    assert loaded == set()  # nor argocd's, which lists the folders Applications deploy: none is rendered
    engines = {"fks_gitops.policy", "opa_bindings", "jsonschema_rs", "detect_secrets", "cryptography"} & set(modules)
    assert engines == set()  # the policy engine, the schema validator, the secret scanner, the certificates
