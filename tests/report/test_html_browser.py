"""The HTML report in a real headless Chromium (Debian's ``chromium``; CI's ``.ci/run`` installs it): the page
loads with no console message at all (errors, CSP violations and uncaught exceptions all land there), the
script builds the rows of the first page, the filters, pages and groups work, and a screenshot is produced."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from report_fixture import build_big_report, build_report, in_report_dir  # noqa: F401 - fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's "
                                                          "chromium package; CI always has it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture
def page(tmp_path: Path, in_report_dir) -> Path:
    from ingress2gw.report.gate import evaluate
    from ingress2gw.report.html import to_html

    report = build_report()
    path = tmp_path / "report.html"
    path.write_text(to_html(report, tool_version="0.0.0-test", gate=evaluate(report, "unsupported")),
                    encoding="utf-8")
    return path



def test_page_loads_without_console_messages_and_renders_everything(page: Path, tmp_path: Path):
    r = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    assert _console(r.stderr) == [], "the page logged to the console"
    dom = r.stdout
    assert '<body data-shown="10" data-page="1" data-pages="1">' in dom  # set by the script: it ran
    assert dom.count('<tr class="finding"') == 10  # built by the script from the embedded data
    assert 'id="shown-count">10 of 10 findings<' in dom
    assert "webhooks &lt;b&gt;&amp;" in dom and "webhooks <b>" not in dom  # text, never markup
    assert "nginx.ingress.kubernetes.io/proxy-body-size: 20m" in dom  # an open finding shows its source lines
    assert dom.count("<svg") == 4  # a chart per namespace (and one for cluster-wide findings)


@pytest.mark.parametrize("fragment,visible", [
    ("status=unsupported", ["unsupported"]),
    ("severity=warning", ["invalid", "policy", "lossy", "lossy"]),
    ("namespace=payments&attention=1", ["lossy"]),
    ("q=made-up", ["unknown"]),
])
def test_filter_works(page: Path, tmp_path: Path, fragment: str, visible: list[str]):
    r = _chromium(tmp_path, "--dump-dom", f"{page.as_uri()}#{fragment}")
    assert r.returncode == 0 and _console(r.stderr) == []
    rows = re.findall(r'<tr class="finding"([^>]*)>', r.stdout)  # only the matching rows are built
    shown = [re.search(r'data-status="([a-z]+)"', row).group(1) for row in rows]
    assert sorted(shown) == sorted(visible)
    assert f'id="shown-count">{len(visible)} of 10 findings<' in r.stdout


def test_screenshot(page: Path, tmp_path: Path):
    shot = tmp_path / "report.png"
    r = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,900", page.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    assert _console(r.stderr) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a blank page compresses to a few KB
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 900)


@pytest.fixture
def big_page(tmp_path: Path) -> Path:
    from ingress2gw.report.html import to_html

    path = tmp_path / "big.html"
    path.write_text(to_html(build_big_report(10_000), tool_version="0.0.0-test"), encoding="utf-8")
    return path


def _rows(dom: str) -> list[str]:
    return re.findall(r'<tr class="finding" id="(f\d+)"', dom)


def test_big_page_builds_one_page_of_rows(big_page: Path, tmp_path: Path):
    r = _chromium(tmp_path, "--dump-dom", big_page.as_uri())
    assert r.returncode == 0 and _console(r.stderr) == [], r.stderr[-2000:]
    assert 'data-shown="10000" data-page="1" data-pages="50"' in r.stdout
    assert _rows(r.stdout) == [f"f{i}" for i in range(1, 201)]  # the first page only
    assert 'id="page-label">page 1 of 50<' in r.stdout


def _expected(namespace: str | None = None, **match) -> list[str]:
    """Row ids of the synthetic report's findings in ``namespace`` with these severity/status values, in order."""
    return [f"f{i + 1}" for i, f in enumerate(build_big_report(10_000).sorted())
            if (namespace is None or f.obj.namespace == namespace)
            and all(getattr(f, k).value == v for k, v in match.items())]


@pytest.mark.parametrize("fragment,match,page", [
    ("page=50", {}, 50),
    ("severity=error&page=2", {"severity": "error"}, 2),
    ("namespace=ns-07&status=lossy", {"namespace": "ns-07", "status": "lossy"}, 1),
])
def test_big_page_filters_and_pages(big_page: Path, tmp_path: Path, fragment, match, page):
    expected = _expected(**match)
    r = _chromium(tmp_path, "--dump-dom", f"{big_page.as_uri()}#{fragment}")
    assert r.returncode == 0 and _console(r.stderr) == [], r.stderr[-2000:]
    pages = -(-len(expected) // 200)
    assert f'data-shown="{len(expected)}" data-page="{page}" data-pages="{pages}"' in r.stdout
    assert _rows(r.stdout) == expected[(page - 1) * 200:page * 200]
    assert f'id="shown-count">{len(expected)} of 10000 findings<' in r.stdout


def test_big_page_text_search(big_page: Path, tmp_path: Path):
    r = _chromium(tmp_path, "--dump-dom", f"{big_page.as_uri()}#q=finding%209999:")
    assert r.returncode == 0 and _console(r.stderr) == []
    assert _rows(r.stdout) == ["f10000"] and 'data-shown="1"' in r.stdout


def test_big_page_groups_collapsed(big_page: Path, tmp_path: Path):
    from collections import Counter

    r = _chromium(tmp_path, "--dump-dom", f"{big_page.as_uri()}#group=code")
    assert r.returncode == 0 and _console(r.stderr) == [], r.stderr[-2000:]
    groups = re.findall(r'<details class="group"><summary>([^<]*)</summary>', r.stdout)
    counts = Counter(f.code.value for f in build_big_report(10_000).findings)
    assert groups == [f"{c} — {n} findings" for c, n in sorted(counts.items())]
    assert _rows(r.stdout) == []  # a group's rows are built when it is opened
    r = _chromium(tmp_path, "--dump-dom", f"{big_page.as_uri()}#group=object&namespace=ns-00")
    assert r.returncode == 0 and _console(r.stderr) == []
    assert r.stdout.count('<details class="group">') == 200 and 'data-pages="1"' in r.stdout
