# TRADING_MODE decides whether orders reach the exchange with real money.
# Only prod trades live, and prod always does.
package trading_mode

import rego.v1

import data.lib.kubernetes as k8s

default environment := ""

environment := data.fks.environment.name

modes := {"paper", "live"}

settings := [[obj, obj.data.TRADING_MODE] |
	some obj in k8s.objects
	obj.kind == "ConfigMap"
	k8s.has_key(object.get(obj, "data", {}), "TRADING_MODE")
]

# METADATA
# title: Known trading mode
# description: TRADING_MODE is paper or live.
deny_invalid contains msg if {
	some [obj, mode] in settings
	not mode in modes
	msg := sprintf("%s: TRADING_MODE is '%v'; use paper or live", [k8s.id(obj), mode])
}

# METADATA
# title: Live only in prod
# description: No environment but prod sets TRADING_MODE to live.
deny_live_outside_prod contains msg if {
	environment != "prod"
	some [obj, mode] in settings
	mode == "live"
	msg := sprintf("%s: TRADING_MODE is 'live' in environment '%s'; only prod trades live, use paper", [k8s.id(obj), environment])
}

# METADATA
# title: Prod trades live
# description: In prod TRADING_MODE is live.
deny_paper_in_prod contains msg if {
	environment == "prod"
	some [obj, mode] in settings
	mode == "paper"
	msg := sprintf("%s: TRADING_MODE is 'paper' in prod; prod trades live", [k8s.id(obj)])
}
