package labels_test

import rego.v1

import data.labels
import data.lib.fixtures as fx

test_labelled_objects_allowed if {
	labels.deny_missing_labels == set() with input as fx.input_for(fx.compliant)
	labels.deny_missing_pod_labels == set() with input as fx.input_for(fx.compliant)
}

test_missing_labels_denied if {
	account := json.remove(fx.service_account, [
		["metadata", "labels", "app.kubernetes.io/part-of"],
		["metadata", "labels", "app.kubernetes.io/managed-by"],
	])
	labels.deny_missing_labels == {"ServiceAccount/ns/app: missing labels app.kubernetes.io/part-of, app.kubernetes.io/managed-by"} with input as fx.input_for([account])
}

test_unlabelled_cluster_object_denied if {
	issuer := {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "letsencrypt"}}
	labels.deny_missing_labels == {"ClusterIssuer/letsencrypt: missing labels app.kubernetes.io/name, app.kubernetes.io/component, app.kubernetes.io/part-of, app.kubernetes.io/managed-by"} with input as fx.input_for([issuer])
}

test_missing_pod_template_labels_denied if {
	deployment := json.remove(fx.deployment("app", fx.pod_spec), [["spec", "template", "metadata", "labels", "app.kubernetes.io/component"]])
	labels.deny_missing_pod_labels == {"Deployment/ns/app: pod template is missing labels app.kubernetes.io/component"} with input as fx.input_for([deployment])
}

application(api_version) := {
	"apiVersion": api_version,
	"kind": "Application",
	"metadata": {"name": "fks-trading-dev", "namespace": "argocd"},
	"spec": {"project": "fks-trading"},
}

test_argocd_application_without_labels_allowed if {
	labels.deny_missing_labels == set() with input as fx.input_for([application("argoproj.io/v1alpha1")])
}

test_application_of_another_group_denied if {
	labels.deny_missing_labels == {"Application/argocd/fks-trading-dev: missing labels app.kubernetes.io/name, app.kubernetes.io/component, app.kubernetes.io/part-of, app.kubernetes.io/managed-by"} with input as fx.input_for([application("app.k8s.io/v1beta1")])
}
