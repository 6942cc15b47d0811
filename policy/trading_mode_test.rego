package trading_mode_test

import rego.v1

import data.lib.fixtures as fx
import data.trading_mode

config(mode) := fx.input_for([fx.resource("ConfigMap", "fks-execution-config", {"data": {"TRADING_MODE": mode, "LOG_LEVEL": "info"}})])

prod := {"name": "prod", "namespace": "fks-trading"}

staging := {"name": "staging", "namespace": "fks-trading-staging"}

test_paper_outside_prod_allowed if {
	trading_mode.deny_invalid == set() with input as config("paper") with data.fks.environment as staging
	trading_mode.deny_live_outside_prod == set() with input as config("paper") with data.fks.environment as staging
	trading_mode.deny_paper_in_prod == set() with input as config("paper") with data.fks.environment as staging
}

test_live_in_prod_allowed if {
	trading_mode.deny_live_outside_prod == set() with input as config("live") with data.fks.environment as prod
	trading_mode.deny_paper_in_prod == set() with input as config("live") with data.fks.environment as prod
}

test_invalid_mode_denied if {
	trading_mode.deny_invalid == {"ConfigMap/ns/fks-execution-config: TRADING_MODE is 'Live'; use paper or live"} with input as config("Live") with data.fks.environment as prod
}

test_live_outside_prod_denied if {
	trading_mode.deny_live_outside_prod == {"ConfigMap/ns/fks-execution-config: TRADING_MODE is 'live' in environment 'staging'; only prod trades live, use paper"} with input as config("live") with data.fks.environment as staging
}

test_paper_in_prod_denied if {
	trading_mode.deny_paper_in_prod == {"ConfigMap/ns/fks-execution-config: TRADING_MODE is 'paper' in prod; prod trades live"} with input as config("paper") with data.fks.environment as prod
}
