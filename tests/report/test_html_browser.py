"""The HTML report in a real headless Chromium (Debian's ``chromium``; ``make test`` installs it): the page
loads with no console message at all (errors, CSP violations and uncaught exceptions all land there), the
filter works, and a screenshot is produced."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from report_fixture import build_report, in_report_dir  # noqa: F401 - fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs Debian's "
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
    assert '<body data-shown="10">' in dom  # set by the script: it ran and counted every row
    assert dom.count('<tr class="finding"') == 10
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
    rows = re.findall(r'<tr class="finding"([^>]*)>', r.stdout)
    assert len(rows) == 10
    shown = [re.search(r'data-status="([a-z]+)"', row).group(1) for row in rows if " hidden" not in row]
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
