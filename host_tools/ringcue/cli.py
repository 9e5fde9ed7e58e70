"""The `ringcue` command. Each sub-command is a thin layer over a module."""

from pathlib import Path

import click

from ringcue_core.profiles import PROFILES, profile_names

from . import __version__
from .errors import UserError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="ringcue")
def cli():
    """ringcue: pick up after the 2nd ring, never later than the 3rd.

    Tools for the ringcue desk-phone add-on: replay ring-line traces through
    the firmware, run a virtual board, flash and configure boards, pull call
    logs and report on them.
    """


def _profile_help() -> str:
    return "Ring profile: " + "; ".join(f"{n} = {PROFILES[n][3]}" for n in profile_names())


@cli.command()
@click.argument("trace", type=click.Path(path_type=Path))
@click.option("--profile", default="universal", show_default=True, help=_profile_help())
@click.option("--cue-ring", default=2, show_default=True, type=click.IntRange(1, 99),
              help="Ring whose onset lights the cue LED.")
@click.option("--alarm-after", default=3, show_default=True, type=click.IntRange(1, 99),
              help="Alarm once this ring has ended unanswered.")
@click.option("--runtime", type=click.Choice(["cpython", "micropython"]), default="cpython",
              show_default=True,
              help="Run the core here, or inside the real MicroPython interpreter.")
def replay(trace, profile, cue_ring, alarm_after, runtime):
    """Replay a ring-line TRACE through the firmware's ring core.

    Prints one JSON object per line, in time order: ring, cue_on, cue_off,
    alarm_on, alarm_off, answer, call_end and hangup events, each with the
    trace time t_ms at which the firmware acts. Both runtimes print the same
    bytes. The trace format is in docs/trace-format.md.

    \b
    Example:
      ringcue replay tests/traces/us_answered_ring4.trace
      ringcue replay capture.trace --profile uk --runtime micropython
    """
    from .replay import replay as run

    run(trace, profile, cue_ring, alarm_after, runtime, click.echo)


@cli.command()
@click.option("--speed", default=3.0, show_default=True, type=click.FloatRange(0.5, 50),
              help="How much faster than real time the calls ring.")
@click.option("--fast", is_flag=True, help="No live view: run the calls in virtual time at once.")
def demo(speed, fast):
    """See ringcue work, no hardware needed (under a minute).

    Starts a virtual board running the real MicroPython firmware, flashes it,
    rings three calls while showing the desk's LED and buzzer live, then pulls
    the call log and shows who answered by the 3rd ring.
    """
    from .demo import run

    raise SystemExit(run(speed=None if fast else speed))


def main():
    cli(prog_name="ringcue")


if __name__ == "__main__":
    main()
