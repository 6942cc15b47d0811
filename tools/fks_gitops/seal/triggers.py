"""What a detect-secrets plugin needs to see before it can report: a pattern over a whole text
that picks its candidate lines, and a test of one candidate line with the plugin's own matching.

    pattern, folded = trigger(plugin)       # match on needles.fold(text) when `folded`
    can_report(plugin, "base/x.yaml", line) # False: the plugin yields nothing for this line

The trigger is loose (a keyword anywhere, a quoted string long enough to pass an entropy limit),
so most lines it picks hold nothing: `secretName: ...` has a keyword, a quoted image digest is
long. can_report runs only the plugin's analyze_string (and, for the entropy plugins, its entropy
test), which is all analyze_line reports from; detect-secrets' filters, code snippets and
argument injection then run on the few lines left. tests/test_detect.py holds both against the
plugins line by line.
"""
from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path


def digest() -> str:
    """This module's code and needles.py's: what the triggers of a set of plugins, and the needles
    kept with them, depend on besides the plugins."""
    return hashlib.sha256(b"".join(Path(__file__).with_name(n).read_bytes() for n in ("triggers.py", "needles.py"))).hexdigest()


def trigger(plugin: object) -> tuple[re.Pattern, bool]:
    """What a line needs for `plugin` to report on it (any line, for a plugin this does not know),
    and whether to match it on needles.fold(text), lowered as case-blind matching sees it: a
    case-blind alternation is six times slower."""
    from detect_secrets.plugins.base import RegexBasedDetector  # noqa: PLC0415 - loaded by Scanner._plugins
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin  # noqa: PLC0415
    from detect_secrets.plugins.keyword import DENYLIST, KeywordDetector  # noqa: PLC0415

    if isinstance(plugin, RegexBasedDetector):
        return re.compile("|".join(_scoped(r) for r in plugin.denylist), re.MULTILINE), False
    if isinstance(plugin, KeywordDetector):
        return re.compile("|".join(DENYLIST)), True
    if isinstance(plugin, HighEntropyStringsPlugin):  # n characters hold at most log2(n) bits each
        shortest = math.ceil(2 ** plugin.entropy_limit)
        return re.compile(rf"(['\"])[{re.escape(plugin.charset)}]{{{shortest},}}\1"), False
    return re.compile("^", re.MULTILINE), False


def can_report(plugin: object, rel: str, line: str) -> bool:
    """Whether `plugin`'s analyze_line (as detect-secrets' scan calls it) can find anything in
    `line` of file `rel`; True for a plugin this does not know."""
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin  # noqa: PLC0415
    from detect_secrets.plugins.keyword import (  # noqa: PLC0415
        QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP, REGEX_BY_FILETYPE, KeywordDetector)
    from detect_secrets.util.filetype import determine_file_type  # noqa: PLC0415

    if type(plugin) is KeywordDetector:  # its analyze_line: analyze_string with the file type's regexes
        regexes = REGEX_BY_FILETYPE.get(determine_file_type(rel), QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)
        return any(True for _ in plugin.analyze_string(line, regexes))
    if isinstance(plugin, HighEntropyStringsPlugin) and type(plugin).analyze_line is HighEntropyStringsPlugin.analyze_line:
        # Without eager search it keeps the quoted strings above the entropy limit.
        return any(plugin.calculate_shannon_entropy(s) > plugin.entropy_limit for s in plugin.analyze_string(line))
    return True


def _scoped(regex: re.Pattern) -> str:
    """`regex` with its flags inside, so patterns with different flags can be joined; a
    pattern's numbered groups and backreferences would not survive that (none has any)."""
    flags = "".join(f for f, bit in (("i", re.I), ("x", re.X), ("s", re.S)) if regex.flags & bit)
    return f"(?{flags}:{regex.pattern})" if flags else f"(?:{regex.pattern})"
