"""Expected failures, by meaning; the command line maps each class to its exit code (cli.py).

    raise GitOpsError("overlays/qa: unknown environment 'qa'; known: dev, staging, prod")  # usage or input
    raise Refused("prod: promotion refused; nothing changed")                            # a gate, a remote
    raise ToolFailed("command 'promtool check rules' exited with 2: ...")                 # an external tool

The command line prints each as one `error: ...` line, without a traceback.
"""


class GitOpsError(Exception):
    """Usage or input error: the command or a file the user gave is wrong."""


class Refused(GitOpsError):
    """The work was refused: a gate, validation, a hook or the remote said no; nothing changed."""


class ToolFailed(GitOpsError):
    """An external tool (git, kustomize, promtool) failed or timed out in a way the input does not explain."""
