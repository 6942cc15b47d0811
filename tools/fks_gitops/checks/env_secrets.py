"""No container sets a secret as a literal env value: a variable whose name says it holds one
(PASSWORD, TOKEN, API_KEY, ...) or that secrets.template.yaml lists as a Secret key reads it with
valueFrom.secretKeyRef. detect-secrets misses these: the name and the value sit on two lines.

    problems = run(ctx)   # EnvContext
"""
from __future__ import annotations

from collections.abc import Iterator

from fks_gitops.checks.context import ENVIRONMENT, EnvContext
from fks_gitops.pointer import join
from fks_gitops.problem import Problem, at
from fks_gitops.seal import template
from fks_gitops.seal.plaintext import SECRET_NAME

ID, SCOPE = "env-secrets", ENVIRONMENT
POD_KINDS = {"Pod": (), "Deployment": ("spec", "template"), "ReplicaSet": ("spec", "template"),
             "ReplicationController": ("spec", "template"), "StatefulSet": ("spec", "template"),
             "DaemonSet": ("spec", "template"), "Job": ("spec", "template"),
             "CronJob": ("spec", "jobTemplate", "spec", "template")}
CONTAINERS = ("initContainers", "containers", "ephemeralContainers")


def _literals(doc: dict) -> Iterator[tuple[str, str, str]]:
    """(JSON pointer of the value, container, variable) of each env entry with a literal value."""
    path = POD_KINDS.get(doc.get("kind"))
    pod = doc if path is not None else None
    for step in (*(path or ()), "spec"):
        pod = pod.get(step) if isinstance(pod, dict) else None
    for field in CONTAINERS if isinstance(pod, dict) else ():
        for i, container in enumerate(c for c in pod.get(field) or () if isinstance(c, dict)):
            for j, env in enumerate(e for e in container.get("env") or () if isinstance(e, dict)):
                if env.get("value") not in (None, "") and isinstance(env.get("name"), str):
                    yield join("", *path, "spec", field, i, "env", j, "value"), str(container.get("name")), env["name"]


def run(ctx: EnvContext) -> list[Problem]:
    declared = template.keys(ctx.session.once(("secrets template", ctx.config.repo), lambda: template.load(ctx.config.repo)))
    return [at(doc, "secrets.env-literal", "error", f"container {container!r} sets {name} to a literal; read it "
                                                    "from a Secret (valueFrom.secretKeyRef) sealed with tools/seal.py", pointer)
            for doc in ctx.docs for pointer, container, name in _literals(doc)
            if name in declared or SECRET_NAME.search(name)]
