package lib.selectors_test

import rego.v1

import data.lib.selectors

labels := {"app": "web", "tier": "front"}

test_empty_selector_matches if {
	selectors.matches({}, labels)
	selectors.matches({"matchLabels": {}, "matchExpressions": []}, {})
}

test_match_labels if {
	selectors.matches({"matchLabels": {"app": "web"}}, labels)
	not selectors.matches({"matchLabels": {"app": "web", "tier": "back"}}, labels)
}

test_in_and_not_in if {
	selectors.matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, labels)
	not selectors.matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]}, labels)
	selectors.matches({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, labels)
	not selectors.matches({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, labels)
}

test_exists_and_does_not_exist if {
	selectors.matches({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, labels)
	not selectors.matches({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, labels)
	selectors.matches({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, labels)
	not selectors.matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels)
}

test_labels_and_expressions_must_all_hold if {
	not selectors.matches({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels)
}

test_unknown_operator_never_matches if {
	not selectors.matches({"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, labels)
}
