"""Size of the Markdown and HTML reports, and how long headless Chromium takes to load the HTML one (run by hand).

    PYTHONPATH=src python benchmarks/generate.py --count 10000 --format list --out /tmp/bench/ing-10k.yaml
    PYTHONPATH=src python benchmarks/report_size.py /tmp/bench/ing-10k.yaml --out /tmp/bench/reports

The input runs through the pipeline once (as ``check`` does); the report is then rendered as Markdown (the
pull-request form and ``full=True``) and as HTML, and each file's size is printed. The load time is the median
wall time of ``chromium --headless --dump-dom file://...`` over ``--runs`` fresh browsers: ``--dump-dom`` prints
the DOM once the load event has fired and the page's script has run, so it is the time until the page is
usable. An empty page is timed the same way and its time is printed too (the browser's own start-up).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def load_time(chromium: str, path: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as profile:
            t0 = time.perf_counter()
            r = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                                "file://" + os.path.abspath(path)], capture_output=True, timeout=600)
            times.append(time.perf_counter() - t0)
            if r.returncode:
                sys.exit(f"chromium failed on {path}: {r.stderr[-500:]!r}")
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", help="a manifest file or directory (benchmarks/generate.py output)")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "ingress2gw-report-size"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from ingress2gw.pipeline import Options, run
    from ingress2gw.report.formats import render

    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    report = run(Options(paths=[args.input])).report
    print(f"pipeline: {time.perf_counter() - t0:.1f} s, {len(report.ingresses)} Ingresses, "
          f"{len(report.findings)} findings")
    outputs = {"report.md": ("markdown", {}), "report-full.md": ("markdown", {"full": True}),
               "report.html": ("html", {})}
    for name, (fmt, kw) in outputs.items():
        t0 = time.perf_counter()
        try:
            text = render(report, fmt, tool_version="bench", **kw)
        except TypeError:  # a version of render without the keyword
            continue
        took = time.perf_counter() - t0
        path = os.path.join(args.out, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"{name}: {len(text):,} characters, {len(text.encode()) / 1e6:.2f} MB, rendered in {took:.1f} s")

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: load time not measured")
        return
    empty = os.path.join(args.out, "empty.html")
    with open(empty, "w", encoding="utf-8") as f:
        f.write("<!DOCTYPE html><title>empty</title>\n")
    print(f"chromium, empty page: {load_time(chromium, empty, args.runs):.2f} s (median of {args.runs})")
    html = os.path.join(args.out, "report.html")
    print(f"chromium, report.html: {load_time(chromium, html, args.runs):.2f} s (median of {args.runs})")


if __name__ == "__main__":
    main()
