"""validate's verify-queries check: every query of environments.yaml's verify blocks and
deploy_checks parses (promtool, no server), its placeholders filled as a promotion fills them."""
from fks_gitops.problem import Location
from fks_gitops.validate import validate


def test_the_repository_queries_parse(repo):
    assert validate(repo, only=("verify-queries",)).problems == []


def test_a_query_that_does_not_parse_is_an_error_at_its_check(repo_copy):
    path = repo_copy / "environments.yaml"
    text = path.read_text()
    path.write_text(text.replace('[{soak}])\n          expect: empty', '[{soak}]\n          expect: empty', 1))
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.strip() == "- name: no-critical-alerts")
    (problem,) = validate(repo_copy, only=("verify-queries",)).problems
    assert (problem.rule, problem.level, problem.location) == ("verify-queries.parse", "error",
                                                               Location("environments.yaml", line, 1))
    assert problem.message.startswith("verify check 'no-critical-alerts': the query does not parse: ")
