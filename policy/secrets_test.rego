package secrets_test

import rego.v1

import data.lib.fixtures as fx
import data.secrets

sealed := fx.resource("SealedSecret", "creds", {"apiVersion": "bitnami.com/v1alpha1", "spec": {"encryptedData": {"token": "AgB..."}}})

test_sealed_secret_allowed if {
	secrets.deny_plaintext_secret == set() with input as fx.input_for([sealed])
}

test_secret_without_data_allowed if {
	secrets.deny_plaintext_secret == set() with input as fx.input_for([fx.resource("Secret", "empty", {"type": "Opaque"})])
}

test_plaintext_secret_denied if {
	secret := fx.resource("Secret", "creds", {"data": {"token": "eA=="}, "stringData": {"user": "x"}})
	secrets.deny_plaintext_secret == {"Secret/ns/creds: plaintext Secret with keys 'token, user'; seal it with tools/seal.py"} with input as fx.input_for([secret])
}
