"""fks_gitops/policy_pointer.py: the field a policy message is about."""
from __future__ import annotations

import pytest

from fks_gitops.policy_pointer import find

SPEC = {
    "containers": [{"name": "app", "image": "x:1"}],
    "initContainers": [{"name": "migrate"}],
    "ephemeralContainers": [{"name": "debug"}],
    "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "docker", "hostPath": {"path": "/"}}],
}
DEPLOYMENT = {"kind": "Deployment", "spec": {"template": {"metadata": {}, "spec": SPEC}}}
POD = "/spec/template/spec"


@pytest.mark.parametrize(("message", "pointer"), [
    ("container 'app' is privileged", f"{POD}/containers/0"),
    ("container 'app' image 'x:1' has no @sha256 digest", f"{POD}/containers/0/image"),
    ("container 'migrate' is privileged", f"{POD}/initContainers/0"),
    ("container 'debug' sets securityContext.procMount 'Unmasked'", f"{POD}/ephemeralContainers/0/securityContext/procMount"),
    ("volume 'docker' mounts hostPath '/'", f"{POD}/volumes/1"),
    ("pod sets hostPID: true", f"{POD}/hostPID"),
    ("pod sets securityContext.seccompProfile.type 'Unconfined'", f"{POD}/securityContext/seccompProfile/type"),
    ("pod annotation 'container.apparmor.security.beta.kubernetes.io/app' is 'unconfined'",
     "/spec/template/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app"),
    ("container 'nope' is privileged", None),
    ("volume 'nope' is of type 'nfs'", None),
    ("does not say where", None),
])
def test_a_message_points_at_the_field_it_names(message, pointer):
    assert find(DEPLOYMENT, message) == pointer


def test_a_cronjobs_and_a_pods_own_paths():
    cronjob = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": SPEC}}}}}
    assert find(cronjob, "pod sets hostIPC: true") == "/spec/jobTemplate/spec/template/spec/hostIPC"
    assert find({"kind": "Pod", "spec": SPEC}, "container 'app' is privileged") == "/spec/containers/0"
    controller = {"kind": "ReplicationController", "spec": {"template": {"spec": SPEC}}}
    assert find(controller, "volume 'tmp' is fine") == f"{POD}/volumes/0"


def test_objects_without_a_pod_point_nowhere():
    assert find({"kind": "Service", "spec": {}}, "pod sets hostPID: true") is None
