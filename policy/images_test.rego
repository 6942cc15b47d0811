package images_test

import rego.v1

import data.images
import data.lib.fixtures as fx

prod := {"name": "prod", "namespace": "fks-trading"}

dev := {"name": "dev", "namespace": "fks-trading-dev"}

image(ref) := fx.input_for([fx.with_container({"image": ref})])

digest := "sha256:0000000000000000000000000000000000000000000000000000000000000000"

test_pinned_tag_allowed if {
	images.deny_image_latest == set() with input as image("ghcr.io/fks-trading/app:1.2.3")
	images.deny_image_untagged == set() with input as image("registry.local:5000/app:1.2.3")
}

test_latest_denied if {
	images.deny_image_latest == {"Deployment/ns/app: container 'app' image 'ghcr.io/fks-trading/app:latest' uses the tag latest; pin a version"} with input as image("ghcr.io/fks-trading/app:latest")
}

test_untagged_denied if {
	images.deny_image_untagged == {"Deployment/ns/app: container 'app' image 'ghcr.io/fks-trading/app' has no tag; pin it in the overlay's images field"} with input as image("ghcr.io/fks-trading/app")
}

test_registry_port_is_not_a_tag if {
	images.deny_image_untagged == {"Deployment/ns/app: container 'app' image 'registry.local:5000/app' has no tag; pin it in the overlay's images field"} with input as image("registry.local:5000/app")
}

test_digest_only_is_pinned if {
	images.deny_image_untagged == set() with input as image(sprintf("ghcr.io/fks-trading/app@%s", [digest]))
}

test_digest_in_prod_allowed if {
	images.warn_image_without_digest == set() with input as image(sprintf("ghcr.io/fks-trading/app:1.2.3@%s", [digest])) with data.fks.environment as prod
}

test_no_digest_outside_prod_allowed if {
	images.warn_image_without_digest == set() with input as image("ghcr.io/fks-trading/app:1.2.3") with data.fks.environment as dev
}

test_no_digest_in_prod_warned if {
	images.warn_image_without_digest == {"Deployment/ns/app: container 'app' image 'ghcr.io/fks-trading/app:1.2.3' has no @sha256 digest"} with input as image("ghcr.io/fks-trading/app:1.2.3") with data.fks.environment as prod
}
