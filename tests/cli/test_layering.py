"""The library knows nothing of the command line: every module outside
ringcue.cli imports without click, and its errors are its own, converted to
one `ringcue:` line in ringcue.cli.errors only."""

import pkgutil
import subprocess
import sys

import ringcue
from ringcue.errors import UsageError, UserError


def library_modules():
    for info in pkgutil.walk_packages(ringcue.__path__, "ringcue."):
        name = info.name
        if name.startswith("ringcue.cli") or name == "ringcue.__main__":
            continue
        if ".mp." in name or name.endswith(".mp"):  # MicroPython scripts, not host code
            continue
        yield name


def test_library_imports_without_click():
    mods = sorted(library_modules())
    assert "ringcue.board.flash" in mods and "ringcue.store.sqlite" in mods
    code = ("import sys\n"
            f"for m in {mods!r}:\n"
            "    __import__(m)\n"
            "    assert 'click' not in sys.modules, m\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_library_errors_are_not_click_exceptions():
    import click

    for cls in (UserError, UsageError):
        assert not issubclass(cls, click.ClickException)
    assert UsageError("x").exit_code == 2 and UserError("x").exit_code == 1


def test_cli_converts_library_errors_in_one_line():
    from click.testing import CliRunner

    from ringcue.cli.main import cli

    # a library error raised while parsing (profile lookup) and while running
    result = CliRunner().invoke(cli, ["replay", "/nonexistent.trace"])
    assert result.exit_code == 2, result.output
    assert result.output.count("ringcue:") == 1 and "Traceback" not in result.output
