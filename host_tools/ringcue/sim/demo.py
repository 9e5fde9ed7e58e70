"""`ringcue demo`: the whole product on a virtual board, in under a minute.

Starts a virtual board (the real MicroPython firmware on a pseudo-terminal),
flashes the firmware like a technician would, rings three calls on the
simulated line while showing the desk's LED and buzzer live, then pulls the
call log and shows what a manager would read.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from . import ringgen
from ..report.categories import ANSWER_BY_RING
from ..board.client import BoardClient
from ..board.flash import confirm, flash
from ..store.pull import pull
from ..report.figures import build as build_report
from ..report.html import render as render_html
from ..report.text import show as show_report
from ..state import home
from ..store.sqlite import Store
from .vboard import VirtualBoard
from ringcue_core.trace import EV_HOOK

# (what happens, rings rung, answered during ring N or None, the caller hangs up first)
CALLS = [
    ("answered on ring 2 (on time); the caller hangs up first", 2, 2, True),
    ("answered on ring 4 (late); the desk hangs up first", 4, 4, False),
    ("nobody answers (missed)", 5, None, False),
]
CLEAR_MS = 800  # the exchange's loop break when the caller hangs up (BT's usual)
CADENCE = "uk"  # 3 s cycles keep the demo short


def _led(vb: VirtualBoard) -> Text:
    led = vb.level_at("LED", vb.board_clock)
    buzz = vb.level_at("BUZZER", vb.board_clock)
    t = Text()
    t.append("  LED ", style="bold")
    t.append("●" if led else "○", style="bold yellow" if led and not buzz else
             ("bold red" if led else "dim"))
    t.append("   buzzer ", style="bold")
    t.append("♪ BEEP" if buzz else "  -   ", style="bold red" if buzz else "dim")
    return t


def _view(vb, title, events):
    tbl = Table.grid(padding=(0, 2))
    tbl.add_column(justify="right", style="dim")
    tbl.add_column()
    for e in events[-8:]:
        tbl.add_row(f"{e['t_ms'] / 1000:7.1f}s", _describe(e))
    return Panel(Group(_led(vb), Text(""), tbl), title=title, subtitle=f"virtual clock "
                 f"{vb.board_clock / 1000:.1f}s", width=72)


def _describe(e):
    ev = e["event"]
    if ev == "ring":
        return f"ring {e['n']}"
    if ev == "cue_on":
        return "[yellow]cue on: pick up now[/]"
    if ev == "alarm_on":
        return "[bold red]ALARM: ring 3 went unanswered[/]"
    if ev == "answer":
        return f"[green]answered after {e['rings']} rings[/]"
    if ev == "call_end":
        return f"call ended: [bold]{e['outcome']}[/], {e['rings']} rings"
    if ev == "hangup":
        who = {"caller": "the caller", "desk": "[red]the desk[/]"}.get(e.get("cleared"))
        return f"hung up after {e['talk_ms'] / 1000:.0f}s" + (f" by {who} first" if who else "")
    return ev.replace("_", " ")


def run(speed: float = 3.0, workdir: Path | None = None, console: Console | None = None) -> int:
    console = console or Console()
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="ringcue-demo-")
        workdir = Path(tmp.name)
    t_start = time.monotonic()
    console.rule("[bold]ringcue demo")
    console.print("1. A virtual board: the real MicroPython firmware on a pseudo-terminal.")
    vb = VirtualBoard(workdir, name="front-desk").start()
    try:
        console.print(f"   It answers on [bold]{vb.port}[/] like a USB board would.\n")
        console.print("2. Flash it, as a technician would ([dim]ringcue flash[/]):")
        with Progress(TextColumn("   {task.description}"), BarColumn(), DownloadColumn(),
                      console=console, transient=False) as prog:
            task = prog.add_task("uploading firmware", total=None)

            def progress(n, total):
                prog.update(task, total=total, advance=n)

            res = flash(vb.port, "sim", {"desk": "Front desk", "profile": "uk",
                                         "clear_signal": True}, progress=progress)
        hello = confirm(vb.port, res.build)
        console.print(f"   build {res.build}: {len(res.uploaded)} files, "
                      f"{res.bytes_sent / 1024:.1f} KB, verified, in {res.seconds:.1f}s; board id "
                      f"{hello['id']}\n")
        vb.wait_ready()
        pace = f"{speed:g}x speed" if speed else "virtual time"
        console.print(f"3. Three calls on the ring line (UK double ring, {pace}). "
                      "The cue lights on ring 2; the alarm sounds once ring 3 has gone "
                      "unanswered:\n")
        with BoardClient.open(vb.port) as board:
            board.call("monitor", {"on": True})
            if speed:
                vb.run_free(speed)
            for i, (label, rings, answer, caller_first) in enumerate(CALLS, 1):
                ev, end = ringgen.call_events(CADENCE, rings, answer_ring=answer, talk_s=3,
                                              seed=i)
                if caller_first:  # loop current breaks 1 s before the desk hangs up
                    ev += [(end - 1_000_000, EV_HOOK, 0),
                           (end - 1_000_000 + CLEAR_MS * 1000, EV_HOOK, 1)]
                    ev.sort(key=lambda e: e[0])
                start = vb.play(ev, start=vb.clock + 300, run=False)
                quiet_ms = 4300 if answer is None else 600  # uk profile: 4 s of silence ends a call
                until = start + end // 1000 + quiet_ms
                title = f"call {i}: {label}"
                events = []
                if speed and console.is_terminal:
                    with Live(_view(vb, title, events), console=console,
                              refresh_per_second=12, transient=False) as live:
                        while vb.board_clock < until:
                            events += board.poll_events(0.05)
                            live.update(_view(vb, title, events))
                        events += board.poll_events(0.1)
                        live.update(_view(vb, title, events))
                elif speed:  # piped or logged: no live redraw, each call's panel once
                    while vb.board_clock < until:
                        events += board.poll_events(0.05)
                    events += board.poll_events(0.1)
                    console.print(_view(vb, title, events))
                else:
                    vb.advance_to(until)
                    events += board.poll_events(0.3)
                    console.print(_view(vb, title, events))
            vb.pause()
            board.call("monitor", {"on": False})
            console.print("\n4. Pull the call log into a manager's store, as "
                          "[dim]ringcue logs pull[/] does (CRCs and hash chain verified):\n")
            store = Store(Path(workdir) / "ringcue.db")
            res = pull(board, store)
        try:
            log = list(store.calls())
            console.print(f"   {res.new} records pulled ({res.calls} calls), {len(res.gaps)} "
                          f"gaps, {len(res.chain_breaks)} chain breaks, in "
                          f"{res.seconds:.2f}s\n")
            console.print(report_table(log))
            console.print("\n5. The manager's report ([dim]ringcue report[/]; "
                          "[dim]--out report.html[/] for the charts):\n")
            rep = build_report(store)
            show_report(rep, console)
            html = home() / "demo-report.html"
            html.write_text(render_html(rep), encoding="utf-8")
            console.print(f"\n   The same report with charts: [bold]{html}[/]")
        finally:
            store.close()
        console.rule(f"done in {time.monotonic() - t_start:.0f}s")
        console.print("Next: [bold]make test[/] runs the suite; see README.md for technicians, "
                      "managers and developers. A fleet's report, made up: [bold].venv/bin/"
                      "ringcue sim fleet --db /tmp/fleet.db[/] then [bold].venv/bin/ringcue "
                      "report --db /tmp/fleet.db --out fleet.html[/]; with desks in ring groups (one "
                      "call rings several desks, counted once): [bold]sim fleet --groups[/]")
        return 0
    finally:
        vb.stop()
        if tmp:
            tmp.cleanup()


def report_table(records) -> Table:
    t = Table(title="Call log: Front desk (# = record sequence number)")
    for c in ("#", "rings", "outcome", "answer time", "cue", "alarm", "by ring 3",
              "hung up first"):
        t.add_column(c, justify="right" if c not in ("outcome",) else "left")
    for r in records:
        on_time = r["outcome"] == "answered" and r["rings"] <= ANSWER_BY_RING
        t.add_row(str(r["seq"]), str(r["rings"]), r["outcome"],
                  f"{r['answer_ms'] / 1000:.1f}s" if r["answer_ms"] is not None else "-",
                  "yes" if r["cue"] else "-", "[red]yes[/]" if r["alarm"] else "-",
                  "[green]✓[/]" if on_time else "[red]✗[/]", r["cleared"] or "-")
    return t
