"""Every rendering of one hand-built Report: goldens (``pytest tests/report --regen`` rewrites them), schema
validation for JSON and SARIF, and the escaping rules of each format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from conftest import require_shared
from report_fixture import PAY, build_big_report, build_report, in_report_dir  # noqa: F401 - fixture

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
REPO = HERE.parents[1]
VERSION = "0.0.0-test"  # pinned: goldens do not change with the tool version
OPTIONS = {"providers": [], "ingressClasses": [], "namespaces": [], "emitter": "standard",
           "gatewayAPIVersion": "1.6", "channel": "standard", "gatewayMode": "shared"}
GOLDENS = {"text": "report.txt", "json": "report.json", "sarif": "report.sarif", "github": "report.github",
           "markdown": "report.md", "markdown-full": "report-full.md", "html": "report.html"}


def _render(fmt: str, **kw) -> str:
    from ingress2gw.report.formats import render
    from ingress2gw.report.gate import evaluate

    if fmt == "markdown-full":
        fmt, kw = "markdown", {**kw, "full": True}
    report = build_report()
    return render(report, fmt, tool_version=VERSION, options=OPTIONS, gate=evaluate(report, "unsupported"), **kw)


@pytest.mark.parametrize("fmt", sorted(GOLDENS))
def test_golden(fmt: str, in_report_dir, regen: bool):
    text = _render(fmt)
    path = GOLDEN / GOLDENS[fmt]
    if regen:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run pytest tests/report --regen"
    assert text == path.read_text(encoding="utf-8"), f"{fmt} rendering changed: review, then --regen"
    assert _render(fmt) == text, "renderings must be deterministic"


def test_no_golden_without_a_format():
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(GOLDENS.values())


def test_json_validates_against_published_schema(in_report_dir):
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(_render("json"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    from ingress2gw.report.render import SCHEMA_VERSION

    assert schema["properties"]["schemaVersion"]["const"] == SCHEMA_VERSION == doc["schemaVersion"]


def test_json_with_suppressions_validates(in_report_dir):
    import datetime as dt

    from ingress2gw.config import Config, IgnoreRule, apply_ignores
    from ingress2gw.report.render import to_json

    report = build_report()
    apply_ignores(report, Config(path=Path(".ingress2gw.yaml"), ignore=[
        IgnoreRule(reason="accepted", code="annotation.lossy", expires=dt.date(2030, 1, 1))]))
    doc = json.loads(to_json(report, tool_version=VERSION, options=OPTIONS))
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    sup = [f["suppression"] for f in doc["findings"] if "suppression" in f]
    assert sup == [{"kind": "config", "justification": "accepted", "source": ".ingress2gw.yaml",
                    "expires": "2030-01-01"}]


def test_json_reports_of_golden_fixtures_validate():
    """The schema also holds for every report the convert goldens pin (real pipeline output)."""
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    checked = 0
    for path in sorted((REPO / "fixtures").glob("*/*/expected/report.json")):
        text = path.read_text()
        if text.strip():
            validator.validate(json.loads(text))
            checked += 1
    assert checked


def test_sarif_validates_against_oasis_schema(in_report_dir):
    schema = json.loads(require_shared("schemas/sarif-schema-2.1.0.json").read_text())
    for baseline_used in (False, True):
        doc = json.loads(_render("sarif", baseline_used=baseline_used))
        jsonschema.Draft7Validator(schema).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    from ingress2gw.report.codes import Code

    used = {r["ruleId"] for r in run["results"]}
    assert [r["id"] for r in rules] == [c.value for c in Code if c.value in used]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    unsupported = by_rule["annotation.unsupported"]
    assert rules[unsupported["ruleIndex"]]["id"] == "annotation.unsupported"
    assert unsupported["level"] == "error" and by_rule["annotation.lossy"]["level"] == "warning"
    assert by_rule["annotation.translated"]["level"] == "note"
    region = unsupported["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "data/manifests.yaml"
    assert region["region"] == {"startLine": 17, "startColumn": 5}
    assert all(r["baselineState"] == "new" for r in run["results"])


def test_sarif_suppressions(in_report_dir):
    from ingress2gw.config import Config, IgnoreRule, apply_ignores
    from ingress2gw.report.sarif import to_sarif

    report = build_report()
    apply_ignores(report, Config(path=Path("c.yaml"), ignore=[IgnoreRule(reason="known", annotation="*/made-up")]))
    doc = json.loads(to_sarif(report, tool_version=VERSION))
    suppressed = [r for r in doc["runs"][0]["results"] if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["annotation.unknown"]
    assert suppressed[0]["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "known"}]


def test_github_escaping():
    from ingress2gw.report.github import escape_data, escape_property

    assert escape_data("100% a\r\nb") == "100%25 a%0D%0Ab"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_commands_skip_info_and_suppressed(in_report_dir):
    out = _render("github")
    lines = out.splitlines()
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    assert not any("annotation.translated" in line for line in lines)
    assert "::error file=data/manifests.yaml,line=17,col=5,title=ingress2gw annotation.unsupported " in out
    assert all("\n" not in line for line in lines)


def test_markdown_tables_survive_pipes_and_newlines(in_report_dir):
    md = _render("markdown")
    rows = [line for line in md.splitlines() if line.startswith("| ") and "annotation.security" in line]
    assert len(rows) == 1 and "raw NGINX configuration:<br>review what it did." in rows[0]
    assert "on the gateway, by hand" in md and "limit \\| on" in md
    assert "<b>not</b>" not in md and "&lt;b&gt;not&lt;/b&gt;" in md


def _big_markdown(n: int, **kw) -> tuple[str, list]:
    from ingress2gw.report.formats import render
    from ingress2gw.report.gate import evaluate

    report = build_big_report(n)
    return render(report, "markdown", tool_version=VERSION, gate=evaluate(report, "unsupported"), **kw), report


def test_markdown_fits_a_pull_request_comment():
    """20,000 findings with long, escape-heavy texts: the default form stays under GitHub's 65,536 characters,
    shows errors before warnings (each by location), and counts exactly what it leaves out."""
    import re

    from ingress2gw.report.markdown import COMMENT_LIMIT

    md, report = _big_markdown(20_000)
    assert len(md) < COMMENT_LIMIT and len(md.encode()) < COMMENT_LIMIT
    assert md == _big_markdown(20_000)[0]
    rows = [line for line in md.splitlines() if line.startswith(("| error |", "| warning |"))]
    assert rows, "the worst findings are shown"
    severities = [row.split(" | ")[0][2:] for row in rows]
    assert severities == sorted(severities, key=["error", "warning"].index)
    where = [re.search(r"`(cluster/ns-\d+\.yaml):(\d+):5`", row).groups() for row in rows]
    errors = sorted((f for f in report.findings if f.severity.value == "error"),
                    key=lambda f: (f.location.file, f.location.line))
    assert [(file, int(line)) for file, line in where] == [(f.location.file, f.location.line)
                                                           for f in errors[:len(rows)]]
    assert "| info |" not in md  # info findings are counts per code
    translated = sum(f.code.value == "annotation.translated" for f in report.findings)
    assert f"| `annotation.translated` | translated | {translated} |" in md
    hidden = len(report.findings) - len(rows)
    counts = {s: sum(f.severity.value == s for f in report.findings) for s in ("error", "warning", "info")}
    shown_errors = severities.count("error")
    footer = md.rstrip().splitlines()[-1]
    assert footer == (f"{hidden} more findings ({counts['error'] - shown_errors} errors, {counts['warning']} warnings, "
                      f"{counts['info']} info) are not shown: see the full report (`--report report.json`, "
                      "or `check --format markdown --full`).")
    assert "<b>" not in md  # cut cells are still escaped


def test_markdown_small_report_shows_every_warning_and_counts_info(in_report_dir):
    md = _render("markdown")
    rows = [line for line in md.splitlines() if line.startswith(("| error |", "| warning |"))]
    assert [r.split(" | ")[0][2:] for r in rows] == ["error"] * 3 + ["warning"] * 4
    assert md.rstrip().endswith("3 more findings (3 info) are not shown: see the full report "
                                "(`--report report.json`, or `check --format markdown --full`).")
    assert "- `annotation.lossy`: Review the difference described in the finding." in md  # once per code


def test_markdown_full_has_every_finding():
    md, report = _big_markdown(2_000, full=True)
    assert sum(line.startswith(("| error |", "| warning |", "| info |")) for line in md.splitlines()) == 2_000
    assert "are not shown" not in md


def test_html_size_is_bounded_for_10k_findings():
    """Texts repeated across findings (messages, remedies, names) are stored once; rows are built by the page."""
    from ingress2gw.report.html import to_html

    html = to_html(build_big_report(10_000, distinct=False), tool_version=VERSION)
    assert len(html.encode()) < 2_000_000  # about 100 bytes per finding
    html = to_html(build_big_report(10_000), tool_version=VERSION)
    report = build_big_report(10_000)
    distinct = sum(len(f.message) + min(len(f.value), 200) for f in report.findings)  # texts said only once
    assert len(html.encode()) < distinct + 150 * 10_000 and len(html.encode()) < 10_000_000
    assert html.count("Follow the manual step in the finding.") <= 1  # the remedy per code, once
    assert "<b>" not in html and "<tr" not in html  # the data is inert JSON; rows are built by the script
    assert html == to_html(build_big_report(10_000), tool_version=VERSION)


def test_html_escapes_and_never_shows_secret_data(in_report_dir):
    html = _render("html")
    assert "webhooks <b>&" not in html and "webhooks &lt;b&gt;&amp;" in html
    assert "U1VQRVJTRUNSRVRDRVJU" not in html and "U1VQRVJTRUNSRVRLRVk" not in html
    assert "Secret: not shown" in html  # provider.defaults at line 11 has the Secret's lines in its window
    assert "nginx.ingress.kubernetes.io/proxy-body-size: 20m" in html  # the snippet itself
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html  # self-contained: no network


def test_snippets_mask_secrets_in_lists_and_unparsable_files(tmp_path: Path):
    from ingress2gw.report.snippets import SourceCache
    from ingress2gw.source.loader import load_paths

    listing = tmp_path / "list.yaml"
    listing.write_text("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n"
                       "  data: {k: SECRETDATA}\n- apiVersion: networking.k8s.io/v1\n  kind: Ingress\n"
                       "  metadata: {name: i}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: Secret\ndata: {k: SECRETDATA}\n---\nkind: Ingress\nmetadata: {name: [\n")
    stdin = io.BytesIO(b"kind: Ingress\nmetadata: {name: i}\n")
    cache = SourceCache(load_paths([str(listing), str(broken), "-", str(tmp_path / "missing")], stdin=stdin).sources)
    lines = cache.snippet(str(listing), 8, context=5)
    assert [line.number for line in lines] == list(range(3, 11))
    assert not any("SECRETDATA" in line.text for line in lines)
    assert [line.redacted for line in lines if line.number in (4, 7)] == [True, True]
    assert cache.snippet(str(broken), 4) == []
    assert cache.snippet("-", 1) == [] and cache.snippet(str(tmp_path / "missing"), 1) == []


def test_report_never_reads_the_input_again(tmp_path: Path, monkeypatch):
    """Snippets (and their Secret masking) come from what the loader read: the input can be gone by the time
    the report is rendered, and no renderer opens it."""
    import builtins

    from ingress2gw.pipeline import Options, run
    from ingress2gw.report.formats import render

    src = REPO / "tests" / "report" / "data" / "manifests.yaml"
    manifest = tmp_path / "manifests.yaml"
    manifest.write_bytes(src.read_bytes())
    result = run(Options(paths=[str(manifest)]))
    manifest.unlink()
    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda file, *a, **kw: opened.append(file) or real_open(file, *a, **kw))
    html = render(result.report, "html", tool_version=VERSION)
    assert not [f for f in opened if str(f).startswith(str(tmp_path))]
    assert "nginx.ingress.kubernetes.io/proxy-body-size: 20m" in html  # quoted without the file
    assert "Secret: not shown" in html
    assert "U1VQRVJTRUNSRVRDRVJU" not in html and "U1VQRVJTRUNSRVRLRVk" not in html


def test_format_from_extension():
    from ingress2gw.report.formats import format_for_path

    cases = {"r.json": "json", "r.sarif": "sarif", "r.sarif.json": "sarif", "r.md": "markdown",
             "r.HTML": "html", "r.txt": "text"}
    for name, fmt in cases.items():
        assert format_for_path(Path(name)) == fmt
    with pytest.raises(ValueError):
        format_for_path(Path("r.xml"))


def test_terminal_respects_no_color_and_quiet(monkeypatch):
    import io

    from ingress2gw.report.terminal import print_summary
    from ingress2gw.report.terminal import render_terminal

    class Tty(io.StringIO):
        def isatty(self):
            return True

    report = build_report()
    coloured = Tty()
    render_terminal(report, stream=coloured, color=None, width=120)
    assert "\x1b[" in coloured.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = Tty()
    render_terminal(report, stream=plain, color=None, width=120)
    assert "\x1b[" not in plain.getvalue() and "annotation.unsupported" in plain.getvalue()
    monkeypatch.delenv("NO_COLOR")
    for kwargs in ({"color": False}, {"color": None}):  # --no-color, and a stream that is not a terminal
        buf = io.StringIO()
        render_terminal(report, stream=buf, **kwargs)
        assert "\x1b[" not in buf.getvalue()
    quiet = io.StringIO()
    print_summary(report, stream=quiet, color=None, quiet=True)
    assert quiet.getvalue() == ""
    summary = io.StringIO()
    print_summary(report, stream=summary, color=False, quiet=False)
    assert "annotation.unsupported" in summary.getvalue() and "annotation.translated" not in summary.getvalue()
    assert PAY.name in summary.getvalue()
