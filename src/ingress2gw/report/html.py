"""A self-contained HTML page: summary, a chart per namespace (inline SVG), a filterable findings table, and
each finding with the source lines around it and its remedy. No network: CSS and script are inline.

Filters can be preset from the URL fragment (``report.html#status=unsupported&q=cors``), so a filtered view
can be shared; the headless-browser test uses the same path.
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


def _rows(report: Report, sources: SourceCache) -> list[dict]:
    rows = []
    for i, f in enumerate(report.sorted()):
        ns = f.obj.namespace if f.obj else ""
        search = " ".join(x for x in (f.code.value, f.annotation, f.value or "", f.message, str(f.obj or ""),
                                      str(f.location)) if x).lower()
        rows.append({
            "id": f"f{i + 1}", "f": f, "namespace": ns, "search": search,
            "attention": needs_attention(f), "snippet": sources.snippet(f.location.file, f.location.line),
            "color": STATUS_COLOR[f.status.value],
        })
    return rows


def to_html(report: Report, *, tool_version: str, gate=None, sources: SourceCache | None = None) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("ingress2gw.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    template = env.get_template("report.html.j2")
    rows = _rows(report, sources or SourceCache(report.sources))
    return template.render(
        tool_version=tool_version, summary=summary(report), status_counts=status_counts(report.findings),
        offenders=worst_offenders(report), charts=_charts(report), rows=rows, gate=gate,
        namespaces=sorted({r["namespace"] for r in rows}),
        statuses=[s.value for s in Status if any(r["f"].status is s for r in rows)],
        severities=[s for s in ("error", "warning", "info") if any(r["f"].severity.value == s for r in rows)],
        status_color=STATUS_COLOR, bar_width=BAR_WIDTH,
    )
