# Images are pinned: a tag other than latest everywhere, and in prod a digest too.
package images

import rego.v1

import data.lib.kubernetes as k8s

default environment := ""

environment := data.fks.environment.name

# METADATA
# title: No latest tag
# description: An image tagged latest changes under the same name; pin a version.
deny_image_latest contains msg if {
	some [p, c] in k8s.pod_containers
	tag(c.image) == "latest"
	msg := sprintf("%s: container '%s' image '%s' uses the tag latest; pin a version", [p.id, c.name, c.image])
}

# METADATA
# title: Image is tagged
# description: An image without a tag or digest means latest; pin it with the overlay's images field.
deny_image_untagged contains msg if {
	some [p, c] in k8s.pod_containers
	not tag(c.image)
	not contains(c.image, "@")
	msg := sprintf("%s: container '%s' image '%s' has no tag; pin it in the overlay's images field", [p.id, c.name, c.image])
}

# METADATA
# title: Digest in prod
# description: In prod an image should also carry its @sha256 digest, so a moved tag cannot change what runs.
warn_image_without_digest contains msg if {
	environment == "prod"
	some [p, c] in k8s.pod_containers
	not contains(c.image, "@sha256:")
	msg := sprintf("%s: container '%s' image '%s' has no @sha256 digest", [p.id, c.name, c.image])
}

# The tag is what follows the last ':' of the last path segment (a registry port is not a tag).
tag(image) := t if {
	name := split(image, "@")[0]
	segments := split(name, "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	parts := split(last, ":")
	t := parts[count(parts) - 1]
}
