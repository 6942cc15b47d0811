"""The `verify:` blocks and deploy_checks of environments.yaml (environments_verify.py): read from
the real file, and every typo refused at load with one line, never at promotion time."""
import pytest

from fks_gitops import environments
from fks_gitops.cli import exit_code
from fks_gitops.errors import GitOpsError


def test_the_real_file_verifies_staging_and_checks_every_deploy(config):
    staging = config.get("staging").verify
    assert (staging.prometheus, staging.timeout, staging.credentials) == (
        "https://prometheus.staging.fks.example.com", 10.0, "FKS_PROMETHEUS_STAGING_AUTH")
    assert [c.name for c in staging.checks] == ["ready-pods", "no-critical-alerts", "argocd-synced-healthy",
                                                "order-error-ratio"]
    assert [c.components for c in staging.checks] == [("fks-execution",), (), (), ("fks-execution",)]
    assert [c.per_image for c in staging.checks] == [True, False, False, False]
    assert [e.verify.checks for e in (config.get("dev"), config.get("prod"))] == [(), ()]
    assert {len(e.verify.deploy) for e in config.environments} == {7}


def _broken(tmp_path, repo, old, new):
    text = (repo / "environments.yaml").read_text()
    assert old in text
    (tmp_path / "environments.yaml").write_text(text.replace(old, new, 1))
    with pytest.raises(GitOpsError) as err:
        environments.load(tmp_path)
    assert exit_code(err.value) == 2 and "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("old,new,message", [
    ('expect: ">= 2"', 'expect: ">= two"', "environments.yaml: environments[1].verify.checks[0]: expect '>= two' is "
                                           "not 'empty', 'nonempty' or a comparison like '> 0'"),
    ('image_spec="{image}"', 'image_spec="{tag}"', "environments[1].verify.checks[0]: query placeholder {tag} is not "
                                                    "one of {component}, {version}, {image}, {namespace}, "
                                                    "{application}, {soak}, {since}"),
    ("- name: no-critical-alerts", "- name: ready-pods", "environments[1].verify.checks: check name 'ready-pods' repeats"),
    ("- name: pvcs-bound", "- name: targets-up", "environments.yaml: deploy_checks: check name 'targets-up' repeats"),
    ('up{namespace="{namespace}"}', 'up{namespace="{namespace}", version="{version}"}',
     "deploy_checks[2]: query placeholder {version} is not one of {namespace}, {application}"),
    ("timeout: 10s", "timeout: 10 seconds", "verify.timeout: duration '10 seconds' is not like"),
    ("timeout: 10s", "timeout: 1h", "verify.timeout: '1h' is not between 1s and 5m"),
    ("https://prometheus.staging.fks.example.com", "https://user:pw@prometheus.staging.fks.example.com",
     "environments[1].verify.prometheus:"),
])
def test_a_broken_verify_block_is_refused_at_load(tmp_path, repo, old, new, message):
    assert message in _broken(tmp_path, repo, old, new)
