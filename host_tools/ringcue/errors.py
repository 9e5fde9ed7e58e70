"""The library's own errors. Every ringcue module raises these for a failure
the user can act on; str(error) is the whole explanation, one line. They know
nothing of click: the command line converts them once (ringcue.cli.errors),
so the library is usable from any program (like sqlite-utils' errors).

Exit codes the command line gives them follow mpremote and click: 1 when the
command could not be done (no board, a busy or silent port, a file that
cannot be written), 2 when the request itself is wrong (a bad value, a
missing file it names).
"""


class UserError(Exception):
    """The request failed for a reason the user can act on (exit code 1)."""

    exit_code = 1


class UsageError(UserError):
    """The request is impossible or unclear as asked (exit code 2)."""

    exit_code = 2
