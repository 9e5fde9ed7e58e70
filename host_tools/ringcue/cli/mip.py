"""`ringcue mip-index`: the compiled firmware as a mip package index."""

from __future__ import annotations

from pathlib import Path

import click


def _boards():
    from ..board.flash import boards

    return boards()


@click.command("mip-index")
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the index to (serve it, or install from it).")
@click.option("--board", "boards", multiple=True, metavar="BOARD",
              help="pico, esp32c3 or sim; repeat for several. Default: all.")
def mip_index(out, boards):
    """Build a mip package index of the compiled firmware, one package per board.

    `mpremote mip install` from it installs what `ringcue flash` installs
    (compiled .mpy files, the boot loader, the same build), for boards set up
    without ringcue or over Wi-Fi with `mip.install(..., index=URL)`. The
    folder can be served as is by any web server. It does not change the
    configuration, remove old builds or check free space first: `ringcue
    flash` does.

    \b
    Example:
      ringcue mip-index --out dist/mip
      mpremote mip install --target / --index dist/mip ringcue-pico
      mpremote mip install --target / dist/mip/ringcue-pico.json   # the same
      mpremote reset                                  # start the new firmware
    """
    from ..errors import UsageError
    from ..board.mipindex import package_name, write_index

    known = _boards()
    bad = [b for b in boards if b not in known]
    if bad:
        raise UsageError(f"unknown board {bad[0]!r} (choose from: {', '.join(known)})")
    builds = write_index(out, list(boards) or known)
    for board, bid in builds.items():
        click.echo(f"{package_name(board):<16} build {bid}")
    first = package_name(next(iter(builds)))
    click.echo(f"install: mpremote mip install --target / --index {out} {first}")
    click.echo("  then:  mpremote reset   (mip leaves the board at the REPL)")
