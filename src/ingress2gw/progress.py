"""A progress bar on stderr for long runs.

Shown only when stderr is a terminal and the run has lasted more than ``DELAY`` seconds: a quick run, a pipe, a
file or a CI log stays silent (no escape codes in logs). It is drawn on stderr, so the manifests on stdout are
never touched, and it disappears when the run ends. rich is imported only when the bar is drawn.

The pipeline reports its stages through the ``Progress`` callable protocol: ``progress(stage, done, total)``.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, Protocol, TextIO

#: Seconds of work before the bar appears.
DELAY = 1.0


class Progress(Protocol):
    def __call__(self, stage: str, done: int = 0, total: int | None = None) -> None: ...


def no_progress(stage: str, done: int = 0, total: int | None = None) -> None:
    """The silent Progress."""


class ProgressBar:
    """A context manager and a ``Progress``: ``with ProgressBar() as progress: run(..., progress=progress)``."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None, delay: float = DELAY,
                 timer: Callable[[float, Callable[[], None]], threading.Timer] = threading.Timer):
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = enabled if enabled is not None else bool(isatty and isatty())
        self._delay, self._make_timer = delay, timer
        self._lock = threading.Lock()
        self._state: tuple[str, int, int | None] = ("reading the manifests", 0, None)
        self._bar = None
        self._task = None
        self._timer: threading.Timer | None = None
        self._closed = False

    def __enter__(self) -> "ProgressBar":
        if self.enabled:
            self._timer = self._make_timer(self._delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, stage: str, done: int = 0, total: int | None = None) -> None:
        with self._lock:
            self._state = (stage, done, total)
            if self._bar is not None:
                self._bar.update(self._task, description=stage, completed=done, total=total)

    def _show(self) -> None:
        with self._lock:
            if self._closed or self._bar is not None:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
            from rich.progress import TimeElapsedColumn

            console = Console(file=self.stream, stderr=self.stream is sys.stderr)
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True)
            stage, done, total = self._state
            self._task = self._bar.add_task(stage, completed=done, total=total)
            self._bar.start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
