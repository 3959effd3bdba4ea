"""The progress bar: drawn on stderr only when it is a terminal and the run lasts, silent otherwise."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

from ingress2gw.pipeline import Options, run
from ingress2gw.progress import ProgressBar

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cluster.yaml"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Now(threading.Timer):
    """A timer that fires at once: the delay has passed."""

    def start(self) -> None:
        self.function()


def test_the_bar_is_drawn_on_a_terminal_once_the_delay_passed_and_hears_every_stage():
    seen = []
    term = _Terminal()
    with ProgressBar(term, timer=_Now) as bar:
        def progress(stage, done=0, total=None):
            seen.append((stage, done, total))
            bar(stage, done, total)
        result = run(Options(paths=[str(EXAMPLE)]), progress=progress)
        assert bar._bar is not None  # drawn
    assert result.objects
    stages = [s for s, _, _ in seen]
    assert stages[0] == "reading the manifests" and "translating Ingresses" in stages
    assert stages[-1] == "writing standard objects"
    assert bar._bar is None  # and gone at the end (transient)


def test_no_bar_when_stderr_is_not_a_terminal_or_the_run_is_quick():
    pipe = io.StringIO()
    with ProgressBar(pipe, timer=_Now) as bar:
        run(Options(paths=[str(EXAMPLE)]), progress=bar)
        assert bar._bar is None
    assert pipe.getvalue() == ""
    term = _Terminal()
    with ProgressBar(term) as bar:  # the real timer: a quick run ends before DELAY
        bar("reading the manifests")
    assert bar._bar is None and term.getvalue() == ""


def test_the_cli_draws_nothing_on_a_pipe_and_keeps_stdout_clean_on_a_terminal(tmp_path):
    plain = subprocess.run([sys.executable, "-m", "ingress2gw", "convert", str(EXAMPLE), "-q"],
                           capture_output=True, timeout=120)
    assert b"\x1b[" not in plain.stderr and b"\x1b[" not in plain.stdout
    # stderr a terminal (a pty), stdout a file: whatever the bar draws goes to the terminal only.
    leader, follower = pty.openpty()
    out = tmp_path / "out.yaml"
    with out.open("wb") as fh:
        r = subprocess.run([sys.executable, "-m", "ingress2gw", "convert", str(EXAMPLE), "-q"], stdout=fh,
                           stderr=follower, timeout=120, env={**os.environ, "COLUMNS": "100"})
    os.close(follower)
    os.close(leader)
    assert r.returncode in (0, 1) and out.read_bytes() == plain.stdout
