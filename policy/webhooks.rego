# Admission webhooks see only the requests they are for: a webhook on every resource can change
# or block anything, its own pods and kube-system's included, and stalls the cluster when it is down.
package webhooks

import rego.v1

import data.lib.kubernetes as k8s

webhook_kinds := {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}

# METADATA
# title: No webhook on every resource
# description: >-
#   No rule of a MutatingWebhookConfiguration or ValidatingWebhookConfiguration names "*" in
#   apiGroups, or "*" or "*/<subresource>" in resources.
deny_wildcard_webhook contains msg if {
	some obj in k8s.objects
	obj.kind in webhook_kinds
	some hook in object.get(obj, "webhooks", [])
	some i, rule in object.get(hook, "rules", [])
	some field in ["apiGroups", "resources"]
	some value in object.get(rule, field, [])
	is_string(value)
	startswith(value, "*")
	msg := sprintf("%s: webhook '%s' rules[%d].%s contains '%s'; name what it is for", [k8s.id(obj), hook.name, i, field, value])
}
