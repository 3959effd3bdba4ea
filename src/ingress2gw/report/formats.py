"""One entry point for every rendering: by ``--format`` name or by ``--report`` file extension."""

from __future__ import annotations

from pathlib import Path

from ingress2gw.report.findings import Report

FORMATS = ("text", "json", "sarif", "github", "markdown", "html")
EXTENSIONS = {".json": "json", ".sarif": "sarif", ".md": "markdown", ".markdown": "markdown", ".html": "html",
              ".htm": "html", ".txt": "text"}


def format_for_path(path: Path) -> str:
    """The format a ``--report`` file gets from its extension; ValueError for an unknown one."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-2:] == [".sarif", ".json"]:  # report.sarif.json is a common name for SARIF
        return "sarif"
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"--report: unknown extension {path.suffix or '(none)'!r} for {path} "
                         f"(use {', '.join(sorted(EXTENSIONS))})")
    return fmt


def render(report: Report, fmt: str, *, tool_version: str, options: dict | None = None, gate=None,
           baseline_used: bool = False, full: bool = False) -> str:
    """The report as text in ``fmt``. ``text`` here is the colourless terminal rendering (``.txt`` files).

    ``markdown`` is sized for a pull request comment (under GitHub's 65,536 characters: the worst findings, then
    counts) unless ``full`` is true; the other formats always hold every finding and ignore ``full``."""
    if fmt == "json":
        from ingress2gw.report.render import to_json

        return to_json(report, tool_version=tool_version, options=options, gate=gate)
    if fmt == "sarif":
        from ingress2gw.report.sarif import to_sarif

        return to_sarif(report, tool_version=tool_version, baseline_used=baseline_used)
    if fmt == "github":
        from ingress2gw.report.github import to_github

        return to_github(report)
    if fmt == "markdown":
        from ingress2gw.report.markdown import to_markdown

        return to_markdown(report, tool_version=tool_version, gate=gate, full=full)
    if fmt == "html":
        from ingress2gw.report.html import to_html

        return to_html(report, tool_version=tool_version, gate=gate)
    if fmt == "text":
        from ingress2gw.report.terminal import terminal_text

        return terminal_text(report, gate=gate)
    raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
