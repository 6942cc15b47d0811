# No plaintext Secrets in git: secrets live only as SealedSecrets.
package secrets

import rego.v1

import data.lib.kubernetes as k8s

# METADATA
# title: No plaintext Secret
# description: >-
#   A Secret with data or stringData puts the plaintext in the repository;
#   seal it with tools/seal.py instead (a SealedSecret is fine).
deny_plaintext_secret contains msg if {
	some obj in k8s.objects
	obj.kind == "Secret"
	keys := {key | some field in ["data", "stringData"]; some key, _ in object.get(obj, field, {})}
	count(keys) > 0
	msg := sprintf("%s: plaintext Secret with keys '%s'; seal it with tools/seal.py", [k8s.id(obj), concat(", ", sort(keys))])
}
