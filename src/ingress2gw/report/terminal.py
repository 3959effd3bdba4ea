"""The terminal rendering (rich): summary, worst offenders, and findings grouped by namespace and object.

Colour follows the stream: none when it is not a terminal, when ``NO_COLOR`` is set (rich honours it), or with
``--no-color``. Without a terminal the width is ``COLUMNS`` or 120, so logs and ``.txt`` reports are stable.
"""

from __future__ import annotations

import io
import os

from ingress2gw.report.codes import Severity
from ingress2gw.report.findings import Report
from ingress2gw.report.summary import grouped, needs_attention, status_counts, summary, worst_offenders

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


def _console(stream, color: bool | None, width: int | None):
    from rich.console import Console

    if color is None and os.environ.get("NO_COLOR"):  # https://no-color.org: any non-empty value
        color = False
    is_tty = bool(getattr(stream, "isatty", lambda: False)())
    if width is None and not is_tty:
        width = int(os.environ.get("COLUMNS", "") or 0) or 120
    if color is False:
        return Console(file=stream, no_color=True, color_system=None, force_terminal=False, highlight=False,
                       width=width, emoji=False)
    return Console(file=stream, highlight=False, width=width, emoji=False,
                   force_terminal=True if color else None)


def _render_summary(console, report: Report) -> None:
    from rich.table import Table

    s = summary(report)
    ing = s["ingresses"]
    head = Table(title="ingress2gw summary", show_header=True, header_style="bold", title_justify="left")
    for col in ("Ingresses", "fully translated", "partly", "not translated"):
        head.add_column(col, justify="right")
    head.add_row(str(ing["total"]), str(ing["fullyTranslated"]), str(ing["partlyTranslated"]),
                 str(ing["notTranslated"]))
    console.print(head)
    by_status = status_counts(report.findings)
    if by_status:
        console.print("findings by status: " + ", ".join(f"{n} {k}" for k, n in by_status.items()))
    ann = ", ".join(f"{n} {k}" for k, n in s["annotations"].items() if n)
    if ann:
        console.print(f"annotations: {ann}")
    offenders = worst_offenders(report)
    if offenders:
        console.print("worst offenders: " + "; ".join(
            f"{ref} ({', '.join(f'{n} {k}' for k, n in sorted(c.items()))})" for ref, c in offenders))


def print_summary(report: Report, *, stream, color: bool | None, quiet: bool, limit: int = 25) -> None:
    """The summary and the findings that need attention, for convert's stderr; nothing when ``quiet``."""
    if not quiet:
        render_summary_lines(report, stream=stream, color=color, limit=limit)


def render_summary_lines(report: Report, *, stream, color: bool | None = None, limit: int = 25) -> None:
    """For convert's stderr: the summary, then the findings that need attention in the parsable
    ``file:line:col: severity[code] ...`` form (editors and CI logs link those; a table would fold paths)."""
    from rich.text import Text

    console = _console(stream, color, None)
    _render_summary(console, report)
    worst = [f for f in report.sorted() if needs_attention(f)]
    worst.sort(key=lambda f: (f.severity is not Severity.ERROR, f.severity is not Severity.WARNING, f.sort_key()))
    for f in worst[:limit]:
        tail = " [suppressed]" if f.suppression else ""
        console.print(Text.assemble((f.severity.value, _SEVERITY_STYLE[f.severity]), " ", f.parsable() + tail),
                      soft_wrap=True)
    if len(worst) > limit:
        console.print(f"... and {len(worst) - limit} more (write them all with --report FILE.json, .html, ...)")


def render_terminal(report: Report, *, stream, color: bool | None = None, attention_only: bool = False,
                    limit: int | None = None, width: int | None = None, gate=None) -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console(stream, color, width)
    _render_summary(console, report)
    findings_shown = 0
    hidden = 0
    for ns, objects in grouped(report):
        table = Table(title=f"namespace {ns}" if ns else "not tied to an object", title_justify="left",
                      show_header=True, header_style="bold", expand=False)
        table.add_column("object", overflow="fold")
        table.add_column("location", overflow="fold")
        table.add_column("severity")
        table.add_column("status")
        table.add_column("finding", overflow="fold")
        rows = 0
        for ref, findings in objects:
            first = True
            for f in findings:
                if attention_only and not needs_attention(f):
                    continue
                if limit is not None and findings_shown >= limit:
                    hidden += 1
                    continue
                findings_shown += 1
                if first and rows:
                    table.add_section()
                label = f"{ref.kind} {ref.name}" if ref else ""
                body = Text()
                body.append(f.code.value, style="bold")
                if f.annotation:
                    body.append(f" {f.annotation}")
                    if f.value is not None:
                        body.append(f"={f.value}", style="cyan")
                body.append(f"\n{f.message}")
                if needs_attention(f) and f.remediation != "Nothing to do.":
                    body.append(f"\n→ {f.remediation}", style="green")
                if f.suppression is not None:
                    body.append(f"\nsuppressed ({f.suppression.kind}): {f.suppression.justification}",
                                style="magenta")
                table.add_row(label if first else "", str(f.location),
                              Text(f.severity.value, style=_SEVERITY_STYLE[f.severity]), f.status.value, body)
                first = False
                rows += 1
        if rows:
            console.print(table)
    if hidden:
        console.print(f"... and {hidden} more (write them all with --report FILE.json, .html, ...)")
    if gate is not None:
        style = "bold red" if gate.exit_code else "bold green"
        console.print(Text(gate.sentence(), style=style))


def terminal_text(report: Report, *, width: int = 120, gate=None) -> str:
    """The terminal rendering without colour, for ``.txt`` reports."""
    buf = io.StringIO()
    render_terminal(report, stream=buf, color=False, width=width, gate=gate)
    return buf.getvalue()
