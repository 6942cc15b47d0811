"""Expected failures, by meaning; the command line maps each class to its exit code (cli.py).

    raise GitOpsError("overlays/qa: unknown environment 'qa'; known: dev, staging, prod")  # usage or input
    raise Refused("prod: promotion refused; nothing changed")                            # a gate, a remote
    raise ToolFailed("command 'promtool check rules' exited with 2: ...")                 # an external tool

The command line prints each as one `error: ...` line, without a traceback, after the error's
`lines` when it has some (one per refusing gate, or what git and a remote's hooks said).
"""
from __future__ import annotations

from collections.abc import Iterable


class GitOpsError(Exception):
    """Usage or input error: the command or a file the user gave is wrong."""

    def __init__(self, message: str, lines: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.lines = list(lines)


class Refused(GitOpsError):
    """The work was refused: a gate, validation, a hook or the remote said no; nothing changed."""


class ToolFailed(GitOpsError):
    """An external tool (git, kustomize, promtool) failed or timed out in a way the input does not explain."""
