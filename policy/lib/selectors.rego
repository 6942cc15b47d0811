# Kubernetes label selectors (metav1.LabelSelector): matchLabels AND matchExpressions.
# https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements
package lib.selectors

import rego.v1

# An empty selector ({} or no terms at all) selects every pod, as a NetworkPolicy's podSelector does.
matches(selector, labels) if {
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every expr in object.get(selector, "matchExpressions", []) {
		expression_holds(expr, labels)
	}
}

expression_holds(expr, labels) if {
	expr.operator == "In"
	labels[expr.key] in object.get(expr, "values", [])
}

# A pod without the key matches NotIn. Through object.get: OPA leaves `not labels[k] in values`
# undefined when labels[k] is (the membership call gets no argument), so the key would not match.
expression_holds(expr, labels) if {
	expr.operator == "NotIn"
	not object.get(labels, expr.key, null) in object.get(expr, "values", [])
}

expression_holds(expr, labels) if {
	expr.operator == "Exists"
	_ = labels[expr.key]
}

expression_holds(expr, labels) if {
	expr.operator == "DoesNotExist"
	not has_key(labels, expr.key)
}

has_key(obj, key) if _ = obj[key]
