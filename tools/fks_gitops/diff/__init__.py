"""validate --diff: every environment rendered at a git revision and at the working tree, compared
object by object, secrets redacted, each change in a risk class.

    tree.py      BASE's files in a temporary folder (git archive), its renders started at once
    redact.py    Secret and SealedSecret values -> key names with a changed/unchanged marker
    risk.py      the risk classes, most severe first, and which a change falls in
    compare.py   two renders -> one ObjectChange per object that differs
    text.py      the terminal format; markdown.py the pull-request comment (size-limited)
"""
