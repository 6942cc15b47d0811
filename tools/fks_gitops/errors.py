"""The one error type for expected failures.

    raise GitOpsError("overlays/qa: unknown environment 'qa'; known: dev, staging, prod")

The command line prints it as `error: ...` without a traceback and exits with `exit_code`
(2 for usage or input errors, 1 when a gate or validation refuses).
"""


class GitOpsError(Exception):
    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
