"""Kubernetes API versions that are deprecated or removed, and what replaces them.

    entry = find("policy/v1beta1", "PodDisruptionBudget")
    entry.state("1.31")    # "removed"
    entry.message("1.31")  # "policy/v1beta1 PodDisruptionBudget was removed in 1.25; use policy/v1"

Facts from the Kubernetes deprecated API migration guide:
https://kubernetes.io/docs/reference/using-api/deprecation-guide/
An explicit table (not discovery) so a reader sees every entry in one place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from fks_gitops.errors import GitOpsError

PSA = "Pod Security Admission (pod-security.kubernetes.io/* namespace labels)"


@dataclass(frozen=True)
class Deprecation:
    api_version: str
    kind: str  # "*" for every kind the group version served
    deprecated: str
    removed: str | None
    replacement: str

    def state(self, kubernetes: str) -> str | None:
        """"removed", "deprecated" or None for the target Kubernetes version."""
        target = minor(kubernetes)
        if self.removed and target >= minor(self.removed):
            return "removed"
        return "deprecated" if target >= minor(self.deprecated) else None

    def message(self, kubernetes: str, kind: str | None = None) -> str:
        what = f"{self.api_version} {kind or self.kind}"
        if self.state(kubernetes) == "removed":
            return f"{what} was removed in {self.removed}; use {self.replacement}"
        until = f", removed in {self.removed}" if self.removed else ""
        return f"{what} is deprecated since {self.deprecated}{until}; use {self.replacement}"


def _entries(api_version: str, kinds: str, deprecated: str, removed: str | None, replacement: str):
    return [Deprecation(api_version, k, deprecated, removed, replacement) for k in kinds.split()]


TABLE: tuple[Deprecation, ...] = (
    # removed in 1.16
    *_entries("apps/v1beta1", "*", "1.9", "1.16", "apps/v1"),
    *_entries("apps/v1beta2", "*", "1.9", "1.16", "apps/v1"),
    *_entries("extensions/v1beta1", "Deployment DaemonSet ReplicaSet", "1.9", "1.16", "apps/v1"),
    *_entries("extensions/v1beta1", "NetworkPolicy", "1.9", "1.16", "networking.k8s.io/v1"),
    *_entries("extensions/v1beta1", "PodSecurityPolicy", "1.11", "1.16", PSA),
    # removed in 1.22
    *_entries("extensions/v1beta1", "Ingress", "1.14", "1.22", "networking.k8s.io/v1"),
    *_entries("extensions/v1beta1", "*", "1.14", "1.22", "the kind's apps/v1, networking.k8s.io/v1 or policy/v1"),
    *_entries("networking.k8s.io/v1beta1", "Ingress IngressClass", "1.19", "1.22", "networking.k8s.io/v1"),
    *_entries("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
              "1.16", "1.22", "admissionregistration.k8s.io/v1"),
    *_entries("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.16", "1.22", "apiextensions.k8s.io/v1"),
    *_entries("apiregistration.k8s.io/v1beta1", "APIService", "1.19", "1.22", "apiregistration.k8s.io/v1"),
    *_entries("authentication.k8s.io/v1beta1", "TokenReview", "1.19", "1.22", "authentication.k8s.io/v1"),
    *_entries("authorization.k8s.io/v1beta1", "SubjectAccessReview LocalSubjectAccessReview SelfSubjectAccessReview",
              "1.19", "1.22", "authorization.k8s.io/v1"),
    *_entries("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.19", "1.22", "certificates.k8s.io/v1"),
    *_entries("coordination.k8s.io/v1beta1", "Lease", "1.19", "1.22", "coordination.k8s.io/v1"),
    *_entries("rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding",
              "1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    *_entries("scheduling.k8s.io/v1beta1", "PriorityClass", "1.14", "1.22", "scheduling.k8s.io/v1"),
    *_entries("storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment",
              "1.19", "1.22", "storage.k8s.io/v1"),
    # removed in 1.25
    *_entries("batch/v1beta1", "CronJob", "1.21", "1.25", "batch/v1"),
    *_entries("discovery.k8s.io/v1beta1", "EndpointSlice", "1.21", "1.25", "discovery.k8s.io/v1"),
    *_entries("events.k8s.io/v1beta1", "Event", "1.22", "1.25", "events.k8s.io/v1"),
    *_entries("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.22", "1.25", "autoscaling/v2"),
    *_entries("policy/v1beta1", "PodDisruptionBudget", "1.21", "1.25", "policy/v1"),
    *_entries("policy/v1beta1", "PodSecurityPolicy", "1.21", "1.25", PSA),
    *_entries("node.k8s.io/v1beta1", "RuntimeClass", "1.22", "1.25", "node.k8s.io/v1"),
    # removed in 1.26, 1.27, 1.29, 1.32
    *_entries("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.23", "1.26", "autoscaling/v2"),
    *_entries("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema PriorityLevelConfiguration", "1.23", "1.26",
              "flowcontrol.apiserver.k8s.io/v1 (1.29+) or v1beta3"),
    *_entries("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.24", "1.27", "storage.k8s.io/v1"),
    *_entries("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema PriorityLevelConfiguration", "1.26", "1.29",
              "flowcontrol.apiserver.k8s.io/v1"),
    *_entries("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration", "1.29", "1.32",
              "flowcontrol.apiserver.k8s.io/v1"),
    # deprecated, still served
    *_entries("v1", "Endpoints", "1.33", None, "discovery.k8s.io/v1 EndpointSlice"),
)
_INDEX = {(d.api_version, d.kind): d for d in TABLE}


def find(api_version: str, kind: str) -> Deprecation | None:
    """The entry for this kind, else for its whole group version, else None."""
    return _INDEX.get((api_version, kind)) or _INDEX.get((api_version, "*"))


def minor(version: str) -> tuple[int, int]:
    """"1.31", "v1.31.2" -> (1, 31)."""
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.\d+)?$", str(version).strip())
    if not match:
        raise GitOpsError(f"Kubernetes version {version!r} is not like '1.31'")
    return int(match.group(1)), int(match.group(2))
