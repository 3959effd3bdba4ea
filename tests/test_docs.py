"""Generated docs are never stale: they come from the registries and the diagnostic catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_generated_docs_are_up_to_date():
    r = subprocess.run([sys.executable, "-m", "ingress2gw.devtools", "gen-docs", "--check", "--root", str(REPO)],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"run `make docs`: {r.stderr}"


def test_check_detects_a_stale_file(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "diagnostics.md").write_text("old\n")
    r = subprocess.run([sys.executable, "-m", "ingress2gw.devtools", "gen-docs", "--check", "--root", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "diagnostics.md" in r.stderr


def test_every_code_is_documented():
    from ingress2gw.report.codes import Code

    text = (REPO / "docs" / "diagnostics.md").read_text()
    for code in Code:
        assert f"`{code.value}`" in text
