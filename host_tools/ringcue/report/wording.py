"""How every report format words its numbers and the data-quality flags, so
the text, HTML and Excel reports say the same thing the same way."""

from __future__ import annotations

from .figures import Quality


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f} %"


def share(n: int, total: int) -> str:
    """n of total as a whole percentage ("–" of nothing): a desk's share."""
    return f"{100 * n / total:.0f} %" if total else "–"


def hung_up_first(f) -> str:
    """A desk's (or the fleet's) share of answered calls where the desk hung
    up first, over the calls whose line says who cleared (Figures)."""
    if not f.clear_known:
        return "– (no line here signals the caller's clear)"
    return f"{pct(f.desk_first_pct)} ({f.desk_first:,} of {plural(f.clear_known, 'answered call')})"


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def secs(ms: float | None) -> str:
    """Seconds as the per-call rows give them (to 0.1 s); a median or p90
    between two rows shows its second decimal (6.65 s), rounded beyond it."""
    if ms is None:
        return "–"
    text = f"{ms / 1000:.2f}"
    return (text[:-1] if text.endswith("0") else text) + " s"


def quality_flags(q: Quality) -> list[tuple[str, bool]]:
    """What could make a desk's figures wrong: (words, serious?) each."""
    flags = []
    if q.gaps:
        flags.append((f"{plural(q.gaps, 'gap')} ({plural(q.gap_records, 'record')} missing)",
                      False))
    if q.chain_breaks:
        flags.append((plural(q.chain_breaks, "chain break"), True))
    if q.unsynced:
        flags.append((f"{plural(q.unsynced, 'call')} without a wall-clock time", False))
    return flags
