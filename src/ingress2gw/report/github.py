"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding, which GitHub
shows as an annotation on the pull request's diff.

Translated, ignored and skipped info findings are left out (they would bury the rest), and so are suppressed
findings. Escaping follows the runner's rules (actions/toolkit ``command.ts``): in the message ``%``, CR and LF;
in property values also ``:`` and ``,``.
"""

from __future__ import annotations

from ingress2gw.report.baseline import normalised_file
from ingress2gw.report.codes import Severity
from ingress2gw.report.findings import Report
from ingress2gw.report.summary import needs_attention

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def to_github(report: Report) -> str:
    lines = []
    for f in report.sorted():
        if f.suppression is not None or not needs_attention(f):
            continue
        props = [f"file={escape_property(normalised_file(f.location.file))}"]
        if f.location.line > 0:
            props.append(f"line={f.location.line}")
            if f.location.col > 0:
                props.append(f"col={f.location.col}")
        title = f"ingress2gw {f.code.value}" + (f" {f.annotation}" if f.annotation else "")
        props.append(f"title={escape_property(title)}")
        message = f.message + (f" ({f.obj})" if f.obj else "") + f"\nRemedy: {f.remediation}"
        lines.append(f"::{_COMMAND[f.severity]} {','.join(props)}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)
