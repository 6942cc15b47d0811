"""aliases: how far a YAML file's aliases expand, counted without expanding them."""
import pytest

from fks_gitops import aliases, yamlload
from fks_gitops.errors import GitOpsError


def bomb(levels: int) -> str:
    """A billion-laughs document: each level a list of nine aliases of the one before."""
    lines = ["kind: ConfigMap", "data:", '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_a_bomb_is_found_at_the_first_line_past_the_limit():
    line, nodes = aliases.too_far(bomb(9))
    assert line == 9 and nodes > aliases.MAX_NODES  # l6: 9**7 strings; l5 stays under


def test_a_few_aliases_are_allowed():
    assert aliases.too_far(bomb(4)) is None
    assert aliases.too_far("a: &x {k: v}\nb: *x\nc: '*not an alias'\n") is None


def test_a_recursive_alias_ends():
    assert aliases.too_far("a: &a [*a, *a]\n") is None


def test_yamlload_refuses_a_bomb_at_its_line():
    with pytest.raises(GitOpsError, match=r"^argocd/x.yaml:9: YAML aliases here expand to [\d,]+ nodes"):
        yamlload.load_all(bomb(9), "argocd/x.yaml")
