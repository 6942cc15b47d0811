"""The value formats the API server checks beyond the schema: quantities, object and port names.

    quantity("512Mi")                    # None: valid
    quantity("512mb")                    # "is not a quantity (a number, then Ki Mi Gi Ti Pi Ei, ...)"
    object_name("Service", "9-web")      # "is not a DNS-1035 label (...)"
    port_name("metrics-endpoint-http")   # "is longer than 15 characters"

Each returns None for a valid value, else the end of a message saying what is wrong with it.
Quantities follow the grammar of https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/,
names https://kubernetes.io/docs/concepts/overview/working-with-objects/names/ and the API server's
own choices per kind (pkg/apis/*/validation: ValidateServiceName, ValidateNamespaceName, ValidateRBACName).
"""
from __future__ import annotations

import re

# <signedNumber><suffix>; suffix: binary SI, decimal SI (n u m k M G T P E, as the parser accepts) or an exponent
_QUANTITY = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?")
_LABEL_1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

LABEL = "DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)"
_SUBDOMAIN_TEXT = ("DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', "
                   "starting and ending with a letter or digit)")
_LABEL_1035_TEXT = "DNS-1035 label (at most 63 lowercase letters, digits and '-', starting with a letter)"

# Kinds whose names are not DNS-1123 subdomains, the API server's default.
_NAMESPACE_KINDS = {"Namespace"}
_SERVICE_KINDS = {"Service"}
_RBAC_KINDS = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}  # path segments: "system:x" is fine
# A CronJob's Jobs append an 11-character suffix to its name and must stay DNS-1035 labels.
_CRONJOB_MAX = 52


def quantity(value: object) -> str | None:
    """YAML numbers are quantities too; the schema check reports any other type."""
    if not isinstance(value, str) or _QUANTITY.fullmatch(value):
        return None
    return "is not a quantity (a number, then Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent like e3)"


def label(value: str) -> str | None:
    return None if len(value) <= 63 and _LABEL_1123.fullmatch(value) else f"is not a {LABEL}"


def _subdomain(value: str) -> str | None:
    return None if len(value) <= 253 and _SUBDOMAIN.fullmatch(value) else f"is not a {_SUBDOMAIN_TEXT}"


def _path_segment(value: str) -> str | None:
    bad = value in (".", "..") or "/" in value or "%" in value
    return "may not be '.' or '..' nor contain '/' or '%'" if bad else None


def object_name(kind: str, value: str) -> str | None:
    """The format `kind`'s metadata.name must have."""
    if kind in _SERVICE_KINDS:
        return None if len(value) <= 63 and _LABEL_1035.fullmatch(value) else f"is not a {_LABEL_1035_TEXT}"
    if kind in _NAMESPACE_KINDS:
        return label(value)
    if kind in _RBAC_KINDS:
        return _path_segment(value)
    if kind == "CronJob" and len(value) > _CRONJOB_MAX:
        return f"is longer than {_CRONJOB_MAX} characters (its Jobs add a suffix)"
    return _subdomain(value)


def port_name(value: str) -> str | None:
    """A container port's name, or a name a Service or probe uses for one: an IANA_SVC_NAME (RFC 6335)."""
    if len(value) > 15:
        return "is longer than 15 characters"
    if not re.fullmatch(r"[-a-z0-9]+", value):
        return "may contain only lowercase letters, digits and '-'"
    if not re.search(r"[a-z]", value):
        return "must contain a letter"
    if value.startswith("-") or value.endswith("-") or "--" in value:
        return "may not start or end with '-' nor contain '--'"
    return None
