"""Rego policies in policy/ and the runner in fks_gitops/policy.py (embedded engine and conftest)."""
from __future__ import annotations

import copy
import importlib.util
import json
import re
import shutil
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from fks_gitops.checks.context import RepoContext
from fks_gitops import policy
from fks_gitops.problem import Location, ObjectRef, Problem

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "policy"
FIXTURES = Path(__file__).parent / "fixtures"
COMPLIANT = [d for d in yaml.safe_load_all((FIXTURES / "policy" / "compliant.yaml").read_text()) if d]
DEV, PROD = ("dev", "fks-trading-dev"), ("prod", "fks-trading")
DIGEST = "@sha256:" + "0" * 64


@pytest.fixture(autouse=True)
def no_conftest(monkeypatch):
    """The embedded engine unless a test puts a stand-in conftest on PATH."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    assert shutil.which("conftest") is None


def _id(p: Problem) -> str | None:
    """Kind/namespace/name of the problem's object, as the policy message names it."""
    o = p.object
    return None if o is None else "/".join(x for x in (o.kind, o.namespace, o.name) if x)


def found(docs: list[dict], env=DEV, policy_dir=POLICY) -> set[tuple[str | None, str, str]]:
    problems = policy.check(docs, *env, policy_dir)
    assert all(p.location is None for p in problems)  # validate places them
    return {(_id(p), p.rule, p.level) for p in problems}


# -- the Rego test suites ------------------------------------------------------------------


def test_every_rego_test_passes():
    assert policy.run_tests(POLICY) == []


def test_a_failing_rego_test_shows_the_rule_the_actual_and_the_expected_value():
    at = lambda line: Location("policy_failing_test/demo_test.rego", line, 1)  # noqa: E731
    assert policy.run_tests(FIXTURES / "policy_failing_test") == [
        Problem("policy.test", "error", 'data.demo_test.test_pod_count_wrong failed: '
                'data.demo.deny_pod is {"Pod/web: bare Pod"}, expected count 0', location=at(17)),
        Problem("policy.test", "error", 'data.demo_test.test_pod_message_wrong failed: '
                'data.demo.deny_pod is {"Pod/web: bare Pod"}, expected {"Pod/web: something else"}', location=at(12)),
        Problem("policy.test", "error", "data.demo_test.test_pod_not_denied failed", location=at(22)),  # shape not known
    ]


def _policy_files(policy_dir: Path) -> list[Path]:
    return [f for f in sorted(policy_dir.rglob("*.rego")) if not f.name.endswith("_test.rego")]


def _untested(policy_dir: Path) -> list[str]:
    """Policy files without a _test.rego, and rules no test rule of that file names."""
    missing = []
    for path in _policy_files(policy_dir):
        test_file = path.with_name(path.stem + "_test.rego")
        if not test_file.is_file():
            missing.append(test_file.name)
            continue
        tests = re.findall(r"^test_\w+.*?^}", test_file.read_text(), re.M | re.S)
        missing += [f"{path.name}: {rule}" for rule in _rule_heads(path.read_text())
                    if not any(re.search(rf"\b{rule}\b", test) for test in tests)]
    return missing


def test_every_policy_file_has_tests():
    assert len(_policy_files(POLICY)) >= 11
    assert _untested(POLICY) == []


def _rule_heads(text: str) -> dict[str, int]:
    """Rule name -> line index of its first definition, for deny/violation/warn rules."""
    heads: dict[str, int] = {}
    for i, line in enumerate(text.splitlines()):
        match = re.match(r"^((?:deny|violation|warn)(?:_\w+)?)\s+(?:contains|if|:=|=|\[)", line)
        if match:
            heads.setdefault(match.group(1), i)
    return heads


def _metadata_above(lines: list[str], index: int) -> dict:
    """The YAML of the `# METADATA` comment block right above line `index`, or {}."""
    block = []
    while index > 0 and lines[index - 1].startswith("#"):
        index -= 1
        block.insert(0, lines[index][2:])
    if not block or block[0] != "METADATA":
        return {}
    return yaml.safe_load("\n".join(block[1:])) or {}


def _without_metadata(policy_dir: Path) -> tuple[int, list[str]]:
    """(how many rules, the rules without a title and description)."""
    missing, rules = [], 0
    for path in sorted(policy_dir.rglob("*.rego")):
        lines = path.read_text().splitlines()
        for name, index in _rule_heads(path.read_text()).items():
            rules += 1
            metadata = _metadata_above(lines, index)
            if not (metadata.get("title") and metadata.get("description")):
                missing.append(f"{path.name}: {name}")
    return rules, missing


def test_every_rule_has_a_metadata_block():
    rules, missing = _without_metadata(POLICY)
    assert rules >= 25
    assert missing == []


# The README's "Add a policy", followed literally: the two files it names and nothing else.
BARE_PODS = """\
# Pods come from controllers, so a node failure reschedules them.
package bare_pods

import rego.v1

import data.lib.kubernetes as k8s

# METADATA
# title: No bare Pod
# description: A Pod outside a controller is not rescheduled; use a Deployment.
deny_bare_pod contains msg if {
	some obj in k8s.objects
	obj.kind == "Pod"
	msg := sprintf("%s: bare Pod; use a Deployment", [k8s.id(obj)])
}
"""
BARE_PODS_TEST = """\
package bare_pods_test

import rego.v1

import data.bare_pods
import data.lib.fixtures as fx

test_controllers_allowed if {
	bare_pods.deny_bare_pod == set() with input as fx.input_for(fx.compliant)
}

test_bare_pod_denied if {
	bare_pods.deny_bare_pod == {"Pod/ns/web: bare Pod; use a Deployment"} with input as fx.input_for([fx.resource("Pod", "web", {})])
}
"""


def test_adding_a_policy_needs_only_its_two_files(tmp_path):
    shutil.copytree(POLICY, tmp_path / "policy")
    (tmp_path / "policy" / "bare_pods.rego").write_text(BARE_PODS)
    (tmp_path / "policy" / "bare_pods_test.rego").write_text(BARE_PODS_TEST)
    assert policy.run_tests(tmp_path / "policy") == []
    assert _untested(tmp_path / "policy") == [] and _without_metadata(tmp_path / "policy")[1] == []
    assert found(COMPLIANT, DEV, tmp_path / "policy") == set()
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "fks-trading-dev"}}
    new = {f for f in found([*COMPLIANT, pod], DEV, tmp_path / "policy") if f[1].startswith("bare_pods.")}
    assert new == {("Pod/fks-trading-dev/web", "bare_pods.bare_pod", "error")}


def test_a_rule_no_test_names_is_untested(tmp_path):
    shutil.copytree(POLICY, tmp_path / "policy")
    (tmp_path / "policy" / "bare_pods.rego").write_text(BARE_PODS + "\n" + BARE_PODS.partition("\n# METADATA")[2].replace("deny_", "warn_"))
    (tmp_path / "policy" / "bare_pods_test.rego").write_text(BARE_PODS_TEST)
    assert _untested(tmp_path / "policy") == ["bare_pods.rego: warn_bare_pod"]


# -- tools/policy_test.py: the policy tests alone ------------------------------------------------


def _policy_test_cli():
    spec = importlib.util.spec_from_file_location("policy_test_cli", REPO / "tools" / "policy_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_policy_test_command_passes_on_the_repository(capsys):
    assert _policy_test_cli().main(["--repo", str(REPO)]) == 0
    assert re.fullmatch(r"policy tests: all passed \(OPA v1\.20\.2, \d+\.\d % of the policies' lines covered\)\n",
                        capsys.readouterr().out)


COVERAGE_FLOOR = 95.0  # percent of policy/ (tests excluded) that the _test.rego suites evaluate; 98.4 when set


def test_the_policy_tests_cover_the_policies():
    failures, coverage = policy.test_run(POLICY)
    assert failures == [] and coverage >= COVERAGE_FLOOR


def test_policy_test_command_prints_one_line_per_failure(tmp_path, capsys):
    (tmp_path / "environments.yaml").write_text("")  # what marks the repository root
    shutil.copytree(FIXTURES / "policy_failing_test", tmp_path / "policy")
    assert _policy_test_cli().main(["--repo", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        'policy/demo_test.rego:17:1: [error] data.demo_test.test_pod_count_wrong failed: '
        'data.demo.deny_pod is {"Pod/web: bare Pod"}, expected count 0 (policy.test)',
        'policy/demo_test.rego:12:1: [error] data.demo_test.test_pod_message_wrong failed: '
        'data.demo.deny_pod is {"Pod/web: bare Pod"}, expected {"Pod/web: something else"} (policy.test)',
        "policy/demo_test.rego:22:1: [error] data.demo_test.test_pod_not_denied failed (policy.test)",
        "policy tests: 3 failing (OPA v1.20.2, 100.0 % of the policies' lines covered)",
    ]


def test_policy_test_command_outside_a_repository_is_a_usage_error(tmp_path, capsys):
    assert _policy_test_cli().main(["--repo", str(tmp_path)]) == 2
    assert "pass --repo" in capsys.readouterr().err


# -- check() with the embedded engine -------------------------------------------------------


def test_compliant_environment_passes():
    assert found(COMPLIANT) == set()


def _find(docs: list[dict], kind: str, name: str | None = None) -> dict:
    return next(d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name))


def _container(docs: list[dict]) -> dict:
    return _find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]


def _pod(docs: list[dict]) -> dict:
    return _find(docs, "Deployment")["spec"]["template"]["spec"]


def _prod_ready(docs: list[dict]) -> None:
    """What prod needs beyond dev: live trading and image digests."""
    _find(docs, "ConfigMap")["data"]["TRADING_MODE"] = "live"
    _container(docs)["image"] += DIGEST


def _plaintext_secret(docs: list[dict]) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "data": {"auth": "eA=="}}
    secret["metadata"] = {**_find(docs, "SealedSecret")["metadata"], "name": "leaked"}
    docs.append(secret)


EXECUTION = "Deployment/fks-trading-dev/fks-execution"
# The shipped rules against the compliant render. A new policy needs no entry here: its
# _test.rego is what the README's "Add a policy" asks for (test_adding_a_policy_needs_only_its_two_files).
VIOLATIONS: list[tuple[str, Callable[[list[dict]], object], tuple, str]] = [
    ("pod_security.run_as_root", lambda d: _pod(d)["securityContext"].update(runAsNonRoot=False), DEV, EXECUTION),
    ("pod_security.privilege_escalation", lambda d: _container(d)["securityContext"].pop("allowPrivilegeEscalation"), DEV, EXECUTION),
    ("pod_security.capabilities", lambda d: _container(d)["securityContext"]["capabilities"].update(drop=["NET_RAW"]), DEV, EXECUTION),
    ("pod_security.seccomp", lambda d: _pod(d)["securityContext"].pop("seccompProfile"), DEV, EXECUTION),
    ("pod_security.host_namespaces", lambda d: _pod(d).update(hostNetwork=True), DEV, EXECUTION),
    ("pod_security.host_port", lambda d: _container(d)["ports"][0].update(hostPort=8000), DEV, EXECUTION),
    ("pod_security.host_path", lambda d: _pod(d).update(volumes=[{"name": "h", "hostPath": {"path": "/"}}]), DEV, EXECUTION),
    ("pod_security.privileged", lambda d: _container(d)["securityContext"].update(privileged=True), DEV, EXECUTION),
    ("containers.writable_root_filesystem", lambda d: _container(d)["securityContext"].pop("readOnlyRootFilesystem"), DEV, EXECUTION),
    ("containers.missing_resources", lambda d: _container(d)["resources"].pop("limits"), DEV, EXECUTION),
    ("containers.missing_liveness_probe", lambda d: _container(d).pop("livenessProbe"), DEV, EXECUTION),
    ("containers.missing_readiness_probe", lambda d: _container(d).pop("readinessProbe"), DEV, EXECUTION),
    ("images.image_latest", lambda d: _container(d).update(image="ghcr.io/fks-trading/fks-execution:latest"), DEV, EXECUTION),
    ("images.image_untagged", lambda d: _container(d).update(image="ghcr.io/fks-trading/fks-execution"), DEV, EXECUTION),
    ("secrets.plaintext_secret", _plaintext_secret, DEV, "Secret/fks-trading-dev/leaked"),
    ("rbac.wildcard", lambda d: _find(d, "Role")["rules"][0].update(verbs=["*"]), DEV, "Role/fks-trading-dev/prometheus"),
    ("rbac.secret_read", lambda d: _find(d, "Role")["rules"][0]["resources"].append("secrets"), DEV, "Role/fks-trading-dev/prometheus"),
    ("service_accounts.automount_token", lambda d: _find(d, "ServiceAccount").pop("automountServiceAccountToken"), DEV, EXECUTION),
    ("labels.missing_labels", lambda d: _find(d, "ConfigMap")["metadata"]["labels"].pop("app.kubernetes.io/part-of"), DEV, "ConfigMap/fks-trading-dev/fks-execution-config"),
    ("labels.missing_pod_labels", lambda d: _find(d, "Deployment")["spec"]["template"]["metadata"]["labels"].pop("app.kubernetes.io/component"), DEV, EXECUTION),
    ("replicas.replicas_with_hpa", lambda d: _find(d, "Deployment")["spec"].update(replicas=2), DEV, EXECUTION),
    ("trading_mode.invalid", lambda d: _find(d, "ConfigMap")["data"].update(TRADING_MODE="Paper"), DEV, "ConfigMap/fks-trading-dev/fks-execution-config"),
    ("trading_mode.live_outside_prod", lambda d: _find(d, "ConfigMap")["data"].update(TRADING_MODE="live"), DEV, "ConfigMap/fks-trading-dev/fks-execution-config"),
    ("trading_mode.paper_in_prod", lambda d: _container(d).update(image=_container(d)["image"] + DIGEST), PROD, "ConfigMap/fks-trading-dev/fks-execution-config"),
    ("ingress.missing_tls", lambda d: _find(d, "Ingress")["spec"].pop("tls"), DEV, "Ingress/fks-trading-dev/prometheus"),
    ("ingress.missing_basic_auth", lambda d: _find(d, "Ingress")["metadata"]["annotations"].pop("nginx.ingress.kubernetes.io/auth-secret"), DEV, "Ingress/fks-trading-dev/prometheus"),
    ("network_policy.uncovered_workload", lambda d: _find(d, "NetworkPolicy")["spec"]["podSelector"].update(matchLabels={"app.kubernetes.io/name": "web"}), DEV, EXECUTION),
]


@pytest.mark.parametrize(("rule", "mutate", "env", "obj"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_each_violation_is_one_error_at_its_object(rule, mutate, env, obj):
    docs = copy.deepcopy(COMPLIANT)
    mutate(docs)
    assert found(docs, env) == {(obj, rule, "error")}




def test_prod_without_digest_is_a_warning():
    docs = copy.deepcopy(COMPLIANT)
    _find(docs, "ConfigMap")["data"]["TRADING_MODE"] = "live"
    assert policy.check(docs, *PROD, POLICY) == [
        Problem(
            "images.image_without_digest",
            "warning",
            "container 'execution' image 'ghcr.io/fks-trading/fks-execution:1.4.2' has no @sha256 digest",
            object=ObjectRef("Deployment", "fks-execution", "fks-trading-dev"),
            pointer="/spec/template/spec/containers/0/image",
        )
    ]
    _prod_ready(docs)
    assert found(docs, PROD) == set()


def test_message_is_the_policy_text_after_the_object():
    docs = copy.deepcopy(COMPLIANT)
    _container(docs)["securityContext"]["privileged"] = True
    assert [p.message for p in policy.check(docs, *DEV, POLICY)] == ["container 'execution' is privileged"]


def test_exceptions_drop_the_named_rules_per_environment():
    demo = FIXTURES / "policy_exception"
    assert found(COMPLIANT, DEV, demo) == {(None, "demo.unnamed", "error")}
    assert found(COMPLIANT, PROD, demo) == {
        (None, "demo.unnamed", "error"),
        ("ConfigMap/fks-trading-dev/fks-execution-config", "demo.big_configmap", "error"),
        ("ConfigMap/fks-trading-dev/fks-execution-config", "demo.configmap", "warning"),
    }


def test_invalid_policy_is_a_problem_not_a_traceback():
    expected = [Problem("policy.invalid", "error", "rego_parse_error: unexpected eof token",
                        location=Location("policy_invalid/broken.rego", 8))]
    assert policy.check(COMPLIANT, *DEV, FIXTURES / "policy_invalid") == expected
    assert policy.run_tests(FIXTURES / "policy_invalid") == expected


def test_missing_policy_folder_is_a_problem(tmp_path):
    assert policy.check(COMPLIANT, *DEV, tmp_path / "nowhere") == [
        Problem("policy.invalid", "error", "policy folder not found", location=Location(str(tmp_path / "nowhere")))
    ]


def test_edited_policy_is_reloaded(tmp_path):
    shutil.copytree(FIXTURES / "policy_exception", tmp_path / "policy")
    unnamed = [p for p in policy.check(COMPLIANT, *DEV, tmp_path / "policy") if p.rule == "demo.unnamed"]
    assert [(p.object, p.message) for p in unnamed] == [(None, "no object in this message")]
    rego_file = tmp_path / "policy" / "demo.rego"
    rego_file.write_text(rego_file.read_text().replace('"no object in this message"', '"ConfigMap/fks-trading-dev/fks-execution-config: edited"'))
    unnamed = [p for p in policy.check(COMPLIANT, *DEV, tmp_path / "policy") if p.rule == "demo.unnamed"]
    assert [(_id(p), p.message) for p in unnamed] == [("ConfigMap/fks-trading-dev/fks-execution-config", "edited")]


def test_a_prefix_naming_no_input_object_stays_in_the_message(tmp_path):
    shutil.copytree(FIXTURES / "policy_exception", tmp_path / "policy")
    rego_file = tmp_path / "policy" / "demo.rego"
    rego_file.write_text(rego_file.read_text().replace('"no object in this message"', '"Namespace/dev: edited"'))
    unnamed = [p for p in policy.check(COMPLIANT, *DEV, tmp_path / "policy") if p.rule == "demo.unnamed"]
    assert [(p.object, p.location, p.message) for p in unnamed] == [(None, None, "Namespace/dev: edited")]


def test_environments_can_be_checked_from_worker_threads():
    envs = [DEV, ("staging", "fks-trading-staging"), PROD]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda env: found(COMPLIANT, env), envs))
    assert results[0] == results[1] == set()
    assert ("ConfigMap/fks-trading-dev/fks-execution-config", "trading_mode.paper_in_prod", "error") in results[2]


# -- check() and run_tests() through conftest -------------------------------------------------

CONFTEST_TEST_OUTPUT = [
    {
        "filename": "Combined",
        "namespace": "pod_security",
        "successes": 7,
        "failures": [
            {
                "msg": f"{EXECUTION}: container 'execution' is privileged",
                "metadata": {"query": "data.pod_security.deny_privileged"},
            }
        ],
    },
    {
        "filename": "Combined",
        "namespace": "images",
        "successes": 2,
        "warnings": [
            {
                "msg": f"{EXECUTION}: container 'execution' image 'x:1' has no @sha256 digest",
                "metadata": {"query": "data.images.warn_image_without_digest"},
            }
        ],
        "exceptions": [{"msg": "data.images.exception[_][_] == \"image_latest\""}],
    },
    {"filename": "Combined", "namespace": "main", "successes": 0, "failures": [{"msg": "Service/fks-trading/web: no query"}]},
    {"filename": "Combined", "namespace": "labels", "successes": 2},
]

STAND_IN = '''\
#!{python}
"""A stand-in for conftest: checks the arguments it is given, answers in conftest's JSON format."""
import json, pathlib, sys
import yaml

args = sys.argv[1:]
expected = json.loads({expected!r})
if args[0] == "verify":
    if args != ["verify", "--no-color", "--output", "json", "--policy", expected["policy"]]:
        sys.exit(f"stand-in: unexpected arguments {{args}}")
    print(json.dumps(expected["verify"]))
    sys.exit(1)
head = ["test", "--combine", "--all-namespaces", "--no-color", "--output", "json", "--policy", expected["policy"], "--data"]
if args[:9] != head:
    sys.exit(f"stand-in: unexpected arguments {{args}}")
data = json.loads(pathlib.Path(args[9]).read_text())
if data != {{"fks": {{"environment": expected["environment"]}}}}:
    sys.exit(f"stand-in: unexpected data {{data}}")
files = {{pathlib.Path(f).name: yaml.safe_load(pathlib.Path(f).read_text()) for f in args[10:]}}
if files != expected["files"]:
    sys.exit(f"stand-in: unexpected files {{sorted(files)}}")
print(json.dumps(expected["test"]))
sys.exit(expected["exit"])
'''


def _stand_in(tmp_path: Path, monkeypatch, exit_code: int = 1, test_output=None) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    expected = {
        "policy": str(POLICY),
        "environment": {"name": "prod", "namespace": "fks-trading"},
        "files": {f"{d['kind']}_{d['metadata']['namespace']}_{d['metadata']['name']}.yaml": d for d in COMPLIANT},
        "test": CONFTEST_TEST_OUTPUT if test_output is None else test_output,
        "exit": exit_code,
        "verify": [
            {"filename": "policy/images_test.rego", "namespace": "", "successes": 0, "failures": [{"msg": "data.images_test.test_latest_denied"}]},
            {"filename": "policy/labels_test.rego", "namespace": "", "successes": 1},
        ],
    }
    script = bin_dir / "conftest"
    script.write_text(STAND_IN.format(python=sys.executable, expected=json.dumps(expected)))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}")


def test_conftest_results_map_to_problems(tmp_path, monkeypatch):
    _stand_in(tmp_path, monkeypatch)
    execution = ObjectRef("Deployment", "fks-execution", "fks-trading-dev")
    assert policy.check(COMPLIANT, *PROD, POLICY) == [
        Problem("main.unknown", "error", "Service/fks-trading/web: no query"),  # no such object in the input
        Problem("images.image_without_digest", "warning", "container 'execution' image 'x:1' has no @sha256 digest",
                object=execution, pointer="/spec/template/spec/containers/0/image"),
        Problem("pod_security.privileged", "error", "container 'execution' is privileged", object=execution,
                pointer="/spec/template/spec/containers/0"),
    ]


def test_conftest_with_nothing_found(tmp_path, monkeypatch):
    _stand_in(tmp_path, monkeypatch, exit_code=0, test_output=[{"filename": "Combined", "namespace": "labels", "successes": 2}])
    assert policy.check(COMPLIANT, *PROD, POLICY) == []


def test_conftest_error_is_a_problem(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "conftest").write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        sys.exit("Error: running test: load: loading policies: 1 error occurred: broken.rego:6: rego_parse_error")
        """))
    (bin_dir / "conftest").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}")
    message = "conftest test failed: Error: running test: load: loading policies: 1 error occurred: broken.rego:6: rego_parse_error"
    assert policy.check(COMPLIANT, *PROD, POLICY) == [Problem("policy.invalid", "error", message, location=Location("policy"))]


def _line(path: Path, start: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith(start))


def test_conftest_verify_failures_map_to_problems(tmp_path, monkeypatch):
    _stand_in(tmp_path, monkeypatch)
    assert policy.run_tests(POLICY) == [
        Problem("policy.test", "error", "data.images_test.test_latest_denied failed",
                location=Location("policy/images_test.rego", _line(POLICY / "images_test.rego", "test_latest_denied"), 1))
    ]


# -- argocd/ and the other folders Applications deploy (policy_inputs.py) ------------------

import os  # noqa: E402

from conftest import copy_repo  # noqa: E402
from fks_gitops import checks, environments, render
from fks_gitops.checks import argocd
from fks_gitops.checks import policies_outside as policy_inputs  # noqa: E402

FULL_PATH = os.environ["PATH"]

PRIVILEGED = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: helper
  namespace: argocd
spec:
  selector: {matchLabels: {app: helper}}
  template:
    metadata: {labels: {app: helper}}
    spec:
      containers: [{name: helper, image: "busybox:1.36", securityContext: {privileged: true}}]
"""
WILDCARD = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: everything
  labels: {app.kubernetes.io/name: x, app.kubernetes.io/component: x, app.kubernetes.io/part-of: x, app.kubernetes.io/managed-by: x}
rules: [{apiGroups: ["*"], resources: [pods], verbs: [get]}]
"""
# Echoes what each input is told about itself, to see the inputs apart.
PROBE = """package probe

import rego.v1

warn_seen contains msg if {
	msg := sprintf("%s: %s/%s", [input[0].contents.kind, data.fks.environment.name, data.fks.environment.namespace])
}
"""


@pytest.fixture(scope="module")
def real_ctx():
    """A full run's context over the real repository (rendered before PATH is narrowed)."""
    config = environments.load(REPO)
    known = {path: render.render(REPO / path, path) for path in argocd.app_paths(RepoContext(config, {}))}
    return RepoContext(config, {}, render.Renders(REPO, ThreadPoolExecutor(1), known))


@pytest.fixture
def tools_on_path(monkeypatch):
    """git and kustomize back on PATH (no_conftest narrows it); conftest is still not there."""
    monkeypatch.setenv("PATH", FULL_PATH)
    assert shutil.which("conftest") is None


def _ctx(repo: Path, selected: tuple[str, ...] = ()) -> RepoContext:
    return RepoContext(environments.load(repo), {}, None, selected)


def test_the_inputs_are_argocd_and_each_non_overlay_application_path(real_ctx):
    found = policy_inputs.inputs(real_ctx)
    assert found[0].name == "argocd" and found[0].namespace == "argocd" and found[0].folder == "argocd"
    assert {m.doc["kind"] for m in argocd.load(REPO)} == {d["kind"] for d in found[0].docs}
    assert all(at.file.startswith("argocd/") and at.line for at in found[0].files.values())
    cluster = next(i for i in found if i.folder == "base/cluster")
    assert cluster.name == "cluster" and {d["kind"] for d in cluster.docs} == {"ClusterIssuer"}
    assert cluster.fallback == Location("base/cluster/kustomization.yaml")
    overlays = {e.overlay for e in real_ctx.config.environments}
    assert not overlays & {i.folder for i in found}  # the overlays are checked per environment


def test_the_real_argocd_and_cluster_manifests_pass_every_policy(real_ctx):
    assert policy_inputs.check(real_ctx) == []


def test_the_check_is_in_the_registry():
    assert any(c.load() is policy_inputs for c in checks.CHECKS)
    assert (policy_inputs.ID, policy_inputs.SCOPE) == ("policies-argocd", "repository")


def test_each_input_is_told_its_name_and_namespace(real_ctx, tmp_path):
    (tmp_path / "probe.rego").write_text(PROBE)
    seen = {p.message.partition(": ")[2] for i in policy_inputs.inputs(real_ctx)
            for p in policy.check(i.docs, i.name, i.namespace, tmp_path, i.files, i.fallback)}
    cluster_app = next(m.doc for m in argocd.load(REPO) if m.doc.get("kind") == "Application"
                       and m.doc["spec"]["source"].get("path") == "base/cluster")
    assert seen == {"argocd/argocd", f"cluster/{cluster_app['spec']['destination']['namespace']}"}


def test_a_bad_object_in_argocd_is_reported_at_its_file(tmp_path, tools_on_path):
    repo = copy_repo(tmp_path / "repo")
    (repo / "argocd" / "helper.yaml").write_text(PRIVILEGED)
    found = {(p.location, p.object, p.rule) for p in policy_inputs.check(_ctx(repo))}
    at, helper = Location("argocd/helper.yaml", 1), ObjectRef("Deployment", "helper", "argocd")
    assert (at, helper, "pod_security.privileged") in found
    assert (at, helper, "labels.missing_labels") in found  # not an Argo CD kind
    assert {(where, obj) for where, obj, _ in found} == {(at, helper)}


def test_document_lines_skip_comments_and_empty_documents():
    text = "# header\napiVersion: v1\nkind: A\n---\n# only a comment\n---\nkind: B\n--- {kind: C}\n"
    assert policy_inputs.document_lines(text) == [2, 7, 8]


def test_a_bad_object_in_base_cluster_is_reported_at_the_folder(tmp_path, tools_on_path):
    repo = copy_repo(tmp_path / "repo")
    (repo / "base" / "cluster" / "clusterrole.yaml").write_text(WILDCARD)
    kustomization = repo / "base" / "cluster" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("resources:\n", "resources:\n  - clusterrole.yaml\n", 1))
    assert [(p.location, p.object, p.rule, p.message) for p in policy_inputs.check(_ctx(repo))] == [
        (Location("base/cluster/kustomization.yaml"), ObjectRef("ClusterRole", "everything"), "rbac.wildcard",
         "rules[0].apiGroups contains '*'; name what is needed"),
    ]


def test_an_env_run_checks_neither(tmp_path, tools_on_path):
    repo = copy_repo(tmp_path / "repo")
    (repo / "argocd" / "helper.yaml").write_text(PRIVILEGED)
    assert policy_inputs.check(_ctx(repo, ("prod",))) == []

