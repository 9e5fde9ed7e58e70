"""Where the library's errors become the command's output: one line
`ringcue: message` and an exit code (2 usage, 1 failure, 130 Ctrl-C), never a
traceback for a user's mistake. The only place errors are converted."""

import click

from ..errors import UserError


class CommandError(click.ClickException):
    """A library error as click shows it (also under click's CliRunner)."""

    def __init__(self, error: UserError):
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file=None):
        click.echo(f"ringcue: {self.format_message()}", err=True)


class Group(click.Group):
    """The top command group: converts library errors raised anywhere below,
    while parsing (option callbacks) or running a command."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except UserError as e:
            raise CommandError(e) from e

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            raise CommandError(e) from e


def run(command, prog_name: str = "ringcue") -> None:
    """Run the click command as `prog_name` and exit. Every error ends in one
    `ringcue: ...` line and an exit code (2 usage, 1 failure, 130 Ctrl-C);
    a reader that goes away (`| head`) ends the output silently."""
    import os
    import sqlite3
    import sys

    from ..board.verbose import verbose

    code = 0
    try:
        rv = command.main(prog_name=prog_name, standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except click.UsageError as e:  # click's own: bad option, missing argument
        hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx else ""
        _say(e.format_message() + hint)
        code = 2
    except click.ClickException as e:  # e.g. click.FileError
        _say(e.format_message())
        code = e.exit_code
    except (click.Abort, KeyboardInterrupt):
        _say("interrupted")
        code = 130
    except BrokenPipeError:
        code = 1  # the reader left (`| head`); nothing more to say
    except SystemExit as e:
        if isinstance(e.code, str):  # SystemExit("message"): say it our way
            _say(e.code)
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except sqlite3.DatabaseError as e:  # a store damaged outside ringcue
        _say(f"the store cannot be read ({e}); it may be damaged")
        code = 1
    except OSError as e:  # a serial port or file failing underneath a command
        _say(describe_os_error(e))
        code = 1
    except Exception as e:  # noqa: BLE001 - a bug: still one line, and how to see more
        if verbose():
            import traceback

            traceback.print_exc()
        _say(f"internal error: {type(e).__name__}: {e} (run with -v for the traceback; "
             "please report it)")
        code = 1
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        code = code or 1
    if code and not sys.stdout.closed:
        # the reader may be gone: don't let the interpreter's final flush complain
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    sys.exit(code)


def _say(msg: str) -> None:
    import sys

    try:
        print(f"ringcue: {msg}", file=sys.stderr, flush=True)
    except (BrokenPipeError, ValueError):
        pass


def describe_os_error(e: OSError) -> str:
    """One line for an OSError from a file or a serial port, without
    pyserial's `[Errno 2] could not open port ...: [Errno 2] ...` stutter."""
    import errno as _errno

    name = getattr(e, "filename", None)
    reason = e.strerror or str(e) or type(e).__name__
    if e.errno == _errno.EPIPE:
        return "the connection was closed"
    if "returned no data" in reason or "disconnected" in reason or (
            not name and e.errno in (_errno.EIO, _errno.ENXIO, _errno.ENODEV)):
        # a serial port that went away under a command (pyserial, or the tty itself)
        return "lost the board: it was unplugged or reset (or another program opened its port)"
    if name:
        return f"{name}: {reason[:1].lower() + reason[1:]}"
    return reason
