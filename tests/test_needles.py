"""seal/needles.py: a text that holds none of a pattern's needles cannot match it (Python's re
syntax: repeats with a minimum of zero, classes, alternations, inline flags, lookarounds), and
the detect-secrets triggers all have needles, so most files skip their passes."""
import re

import pytest

from conftest import REPO
from test_detect import LINES
from fks_gitops.seal import detect
from fks_gitops.seal.needles import fold, may_match, needles


@pytest.mark.parametrize("pattern, expected", [
    (r"(?:AKIA|ASIA)[0-9A-Z]{16}", {("AKIA", False), ("ASIA", False)}),
    (r"a?bc", {("bc", False)}),  # an optional part is not required
    (r"(?:r|s)k_live_\w{24}", {("rk_live_", False), ("sk_live_", False)}),  # r|s parses as a class
    (r"(?i)xox[ab]-\d+", {("xoxa-", True), ("xoxb-", True)}),
    (r"(?i:AWS).{0,20}?Key", {("aws", True)}),  # the longer needle; case-blind ones are lowered
    (r"(?:ab)+", {("ab", False)}),  # at least once
    (r"(?=abc)d", {("d", False)}),  # a lookahead's text overlaps what follows
])
def test_needles_every_match_holds(pattern, expected):
    assert set(needles(pattern)) == expected


@pytest.mark.parametrize("pattern", [r"[a-z]+", r"x*", r"(a|.)", r"(\w)\1", r"(?i)\u00b5+", r"(", r"a{0,3}"])
def test_no_needles_when_nothing_literal_is_required(pattern):
    assert needles(pattern) is None  # µ case-blind also matches μ and Μ: no needle is sound


@pytest.mark.parametrize("pattern, text", [
    (r"(?i)secret", "\u017fecret"),  # long s matches s case-blind
    (r"(?i)key", "\u212aey"),  # Kelvin sign matches k
    (r"(?i)is", "\u0130s"),  # dotted capital I matches i
    (r"(?i)aws_id", "AWS_ID"),
    (r"api_?key", "API_KEY".lower()),
])
def test_a_case_blind_match_is_found_in_the_folded_text(pattern, text):
    compiled = re.compile(pattern)
    assert compiled.search(text)
    assert may_match(needles(pattern), text, fold(text))


def test_fold_keeps_every_offset_and_folds_what_re_matches_to_an_ascii_letter():
    letter = re.compile("[a-z]", re.IGNORECASE)
    for code in range(0x80, 0x110000):
        char = chr(code)
        assert len(fold(char)) == 1, hex(code)
        if letter.fullmatch(char):
            assert fold(char).isascii() and re.fullmatch(fold(char), char, re.IGNORECASE), hex(code)
    assert fold("A\u0130\n\u017f") == "ai\ns"


def test_every_trigger_has_needles_and_they_hold_on_the_repository_and_on_secrets():
    scanner = detect.Scanner.load(REPO)
    texts = ["\n".join(LINES)] + [p.read_text() for p in REPO.glob("base/**/*.yaml")]
    with scanner.active():
        for plugin, trigger, folded in scanner._plugins():
            found = needles(trigger.pattern, trigger.flags, folded)
            assert found, type(plugin).__name__
            for text in texts:
                seen = fold(text) if folded else text
                if trigger.search(seen):
                    assert may_match(found, text, fold(text)), type(plugin).__name__
