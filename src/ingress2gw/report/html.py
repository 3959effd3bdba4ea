"""A self-contained HTML page: summary, a chart per namespace (inline SVG), the findings (filterable, 200 per
page, or grouped by object or code in collapsed ``<details>``), each with the source lines around it and its
remedy. No network: CSS and script are inline.

The findings are embedded once as compact JSON (every distinct text once, rows referring to texts by index; a
code's remedy once per code) and the page's script builds only the rows on screen, so a report of 10,000
Ingresses stays a few MB per 10,000 findings and opens in seconds. The script builds rows with ``textContent``
only (never markup from data); the JSON has no ``<``, ``>`` or ``&``, so it cannot end its ``<script>``.

Filters, grouping and page can be preset from the URL fragment (``report.html#status=unsupported&q=cors&
group=code&page=2``), so a view can be shared; the headless-browser test uses the same path.
"""

from __future__ import annotations

from collections import Counter

from ingress2gw.report.codes import Status
from ingress2gw.report.findings import Report
from ingress2gw.report.summary import grouped, needs_attention, status_counts, summary, worst_offenders
from ingress2gw.report.snippets import SourceCache

#: Status colours (chart and badges); colour-blind-safe-ish, with text labels everywhere.
STATUS_COLOR = {
    "translated": "#2e7d32", "lossy": "#f9a825", "policy": "#6a1b9a", "unsupported": "#c62828",
    "unknown": "#ad1457", "ignored": "#78909c", "security": "#b71c1c", "skipped": "#90a4ae", "invalid": "#e65100",
}
BAR_WIDTH = 360


def _charts(report: Report) -> list[dict]:
    charts = []
    for ns, objects in grouped(report):
        counts = Counter(f.status.value for _, fs in objects for f in fs)
        total = sum(counts.values())
        x = 0.0
        segments = []
        for s in Status:
            n = counts.get(s.value, 0)
            if not n:
                continue
            w = BAR_WIDTH * n / total
            segments.append({"status": s.value, "count": n, "x": round(x, 2), "width": round(w, 2),
                             "color": STATUS_COLOR[s.value]})
            x += w
        charts.append({"namespace": ns or "(cluster-wide / input)", "total": total, "segments": segments,
                       "objects": sum(1 for ref, _ in objects if ref is not None)})
    return charts


class _Strings:
    """Each distinct text once: rows refer to texts by index (messages, annotations, names and source lines
    repeat across thousands of Ingresses)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str | None) -> int:
        if text is None:
            return -1
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.index)
        return i


def _suppression(f) -> str | None:
    s = f.suppression
    if s is None:
        return None
    return f"suppressed ({s.kind}): {s.justification}" + (f" — until {s.expires}" if s.expires else "")


def _value(v: str | None, limit: int = 200) -> str | None:
    return v if v is None or len(v) <= limit else v[:limit - 3] + "..."


def _data(report: Report, sources: SourceCache) -> dict:
    """The findings as compact rows for the page's script, every text stated once.

    ``codes``: [code, severity, remedy text] per code; ``rows``: [code, status, object, namespace, file, line,
    column, annotation, value, message, own remedy, suppression, needs attention, first and last source line]
    (texts as indexes into ``t``, -1 for none); ``src``: per file, line number -> text, and the masked lines.
    """
    t = _Strings()
    codes: dict = {}
    statuses = [s.value for s in Status]
    src: dict[int, dict] = {}
    rows = []
    for f in report.sorted():
        if f.code not in codes:
            codes[f.code] = len(codes)
        snippet = sources.snippet(f.location.file, f.location.line)
        file = t(f.location.file)
        if snippet:
            lines = src.setdefault(file, {"lines": {}, "masked": set()})
            for line in snippet:
                lines["lines"].setdefault(line.number, t(line.text))
                if line.redacted:
                    lines["masked"].add(line.number)
        own = f.remedy if f.remedy and f.remedy != f.code.info.remedy else None
        rows.append([
            codes[f.code], statuses.index(f.status.value), t(str(f.obj)) if f.obj else -1,
            t(f.obj.namespace if f.obj else ""), file, f.location.line, f.location.col,
            t(f.annotation) if f.annotation else -1, t(_value(f.value)), t(f.message), t(own), t(_suppression(f)),
            1 if needs_attention(f) else 0,
            snippet[0].number if snippet else 0, snippet[-1].number if snippet else 0,
        ])
    return {
        "t": list(t.index),
        "statuses": statuses,
        "colors": [STATUS_COLOR[s] for s in statuses],
        "codes": [[c.value, c.severity.value, t(c.info.remedy)] for c in codes],
        "src": {str(k): {"lines": {str(n): i for n, i in sorted(v["lines"].items())}, "masked": sorted(v["masked"])}
                for k, v in src.items()},
        "rows": rows,
    }


def _embed(data: dict):
    """JSON that is inert inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` at all."""
    import json

    from markupsafe import Markup

    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


def to_html(report: Report, *, tool_version: str, gate=None, sources: SourceCache | None = None) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("ingress2gw.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    template = env.get_template("report.html.j2")
    findings = report.findings
    return template.render(
        tool_version=tool_version, summary=summary(report), status_counts=status_counts(findings),
        offenders=worst_offenders(report), charts=_charts(report), gate=gate, total=len(findings),
        data=_embed(_data(report, sources or SourceCache(report.sources))),
        namespaces=sorted({f.obj.namespace if f.obj else "" for f in findings}),
        statuses=[s.value for s in Status if any(f.status is s for f in findings)],
        severities=[s for s in ("error", "warning", "info") if any(f.severity.value == s for f in findings)],
        status_color=STATUS_COLOR, bar_width=BAR_WIDTH,
    )
