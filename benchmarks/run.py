"""Time ingress2gw against the PyYAML-C "floor" on generated cluster dumps (run by hand, not part of pytest).

    PYTHONPATH=src python benchmarks/run.py                    # 1k and 10k, 3 runs each
    PYTHONPATH=src python benchmarks/run.py --sizes 1000 --runs 5

Every figure is the median wall time of fresh processes (``python -I`` is not used: PYTHONPATH must reach src/).
Peak RSS is the child's ``ru_maxrss`` from ``os.wait4``. Cases:

- floor        a fresh interpreter loads the file with PyYAML's CSafeLoader and dumps it with CSafeDumper
- loader+writer  ``load_paths`` then ``dump_documents`` on the same file (this module's part of a convert)
- convert      ``python -m ingress2gw convert FILE --output-dir TMP`` (skipped while the CLI is missing/broken)
- --version    ``python -m ingress2gw --version``; small convert: one Ingress

Targets (docs/performance.md): convert <= 2.5x floor at 1k and 10k and linear 1k -> 10k, memory <= 3x floor,
``--version`` <= 0.35 s, small convert <= 0.6 s.
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

HERE = os.path.dirname(os.path.abspath(__file__))

FLOOR = """
import sys, yaml
with open(sys.argv[1], 'rb') as f:
    docs = list(yaml.load_all(f, Loader=yaml.CSafeLoader))
with open(sys.argv[2], 'w') as f:
    f.write(yaml.dump_all(docs, Dumper=yaml.CSafeDumper))
"""

LOADER_WRITER = """
import sys
from ingress2gw.source.loader import load_paths
from ingress2gw.yaml_writer import dump_documents
r = load_paths([sys.argv[1]])
assert not r.problems, r.problems[:3]
with open(sys.argv[2], 'w') as f:
    f.write(dump_documents([d.obj for d in r.documents]))
print(len(r.documents), file=sys.stderr)
"""

LOADER_ONLY = """
import sys
from ingress2gw.source.loader import load_paths
r = load_paths([sys.argv[1]])
assert not r.problems
"""


def run_once(cmd: list[str]) -> tuple[float, float, int, str]:
    """(seconds, peak RSS MiB, exit code, stderr tail) of one fresh process."""
    t0 = time.perf_counter()
    # Measure as an installed tool runs: with its bytecode cache (pip compiles .pyc files at install time).
    # PYTHONDONTWRITEBYTECODE, set on some machines, would recompile every module on every start.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read() if p.stderr else b""
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, p.returncode, err.decode(errors="replace")[-400:]


_WARMED: set[str] = set()


def measure(cmd: list[str], runs: int) -> dict | None:
    times, rss = [], []
    if cmd[0] not in _WARMED:  # one untimed start writes the bytecode cache, as installing would
        _WARMED.add(cmd[0])
        run_once([cmd[0], "-m", "ingress2gw", "--version"])
    for _ in range(runs):
        t, m, rc, err = run_once(cmd)
        if rc != 0:
            print(f"  ! {' '.join(cmd[:6])}... exited {rc}: {err.strip()}", file=sys.stderr)
            return None
        times.append(t)
        rss.append(m)
    return {"median": statistics.median(times), "min": min(times), "rss": max(rss)}


def ensure_inputs(work: str, sizes: list[int], py: str) -> dict[int, str]:
    files = {}
    for n in sizes:
        path = os.path.join(work, f"ingresses-{n}.yaml")
        if not os.path.exists(path):
            subprocess.run([py, os.path.join(HERE, "generate.py"), "--count", str(n), "--format", "list",
                            "--out", path], check=True)
        files[n] = path
    small = os.path.join(work, "small.yaml")
    if not os.path.exists(small):
        with open(small, "w") as f:
            f.write(
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: default\n"
                "  annotations:\n    nginx.ingress.kubernetes.io/rewrite-target: /\nspec:\n  ingressClassName: nginx\n"
                "  rules:\n  - host: web.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
                "        backend:\n          service:\n            name: web\n            port:\n              number: 80\n"
            )
    files[0] = small
    return files


def fmt(r: dict | None) -> str:
    return "   (n/a)" if r is None else f"{r['median']:7.2f} s {r['rss']:7.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "ingress2gw-bench"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--skip-floor", action="store_true")
    ap.add_argument("--verify-max", type=int, default=1000, help="run verify on sizes up to this many Ingresses")
    a = ap.parse_args(argv)
    py = a.python
    sizes = [int(s) for s in a.sizes.split(",") if s]
    os.makedirs(a.work, exist_ok=True)
    files = ensure_inputs(a.work, sizes, py)
    out = os.path.join(a.work, "out")

    print(f"python {sys.version.split()[0]}  nproc {os.cpu_count()}  runs {a.runs}  work {a.work}")
    version = measure([py, "-m", "ingress2gw", "--version"], a.runs)
    cli_ok = version is not None
    if not cli_ok:
        print("  (the CLI is not runnable yet: convert/--version figures are skipped)")

    rows = []
    for n in sizes:
        f = files[n]
        mb = os.path.getsize(f) / 1e6
        print(f"\n{n} Ingresses (+{n} Services, 2 IngressClasses) in one List, {mb:.1f} MB")
        floor = None if a.skip_floor else measure([py, "-c", FLOOR, f, os.devnull], a.runs)
        print(f"  floor (PyYAML C load+dump) {fmt(floor)}")
        load = measure([py, "-c", LOADER_ONLY, f], a.runs)
        print(f"  loader only                {fmt(load)}")
        lw = measure([py, "-c", LOADER_WRITER, f, os.devnull], a.runs)
        print(f"  loader+writer round trip   {fmt(lw)}")
        conv = None
        if cli_ok:
            shutil.rmtree(out, ignore_errors=True)
            conv = measure([py, "-m", "ingress2gw", "convert", f, "--output-dir", out], a.runs)
            print(f"  convert                    {fmt(conv)}")
            if n <= a.verify_max:
                ver = measure([py, "-m", "ingress2gw", "verify", f, "--format", "json"], a.runs)
                print(f"  verify --format json       {fmt(ver)}")
                if ver and conv:
                    print(f"  verify / convert           {ver['median'] / conv['median']:5.2f}x time   "
                          "(target <= 5x)")
        rows.append((n, floor, load, lw, conv))

    print("\nratios (median time, peak RSS) against the floor of the same size:")
    for n, floor, load, lw, conv in rows:
        for name, r in (("loader+writer", lw), ("convert", conv)):
            if floor and r:
                print(f"  {n:>6} {name:<14} {r['median'] / floor['median']:5.2f}x time"
                      f"  {r['rss'] / floor['rss']:5.2f}x memory   (target convert <= 2.5x, <= 3x)")
    if len(rows) >= 2:
        (n1, f1, _, lw1, c1), (n2, f2, _, lw2, c2) = rows[0], rows[-1]
        for name, r1, r2 in (("floor", f1, f2), ("loader+writer", lw1, lw2), ("convert", c1, c2)):
            if r1 and r2:
                print(f"  scaling {n1}->{n2} {name:<14} {r2['median'] / r1['median']:5.1f}x"
                      f" (linear = {n2 / n1:.0f}x)")
    if cli_ok:
        small = measure([py, "-m", "ingress2gw", "convert", files[0], "--output-dir", out], a.runs)
        print(f"\n  --version       {fmt(version)}   (target <= 0.35 s)")
        print(f"  small convert   {fmt(small)}   (target <= 0.6 s)")
    bare = measure([py, "-c", "pass"], a.runs)
    imp = measure([py, "-c", "import ingress2gw.source.loader, ingress2gw.yaml_writer"], a.runs)
    print(f"\n  bare interpreter            {fmt(bare)}")
    print(f"  import loader + writer      {fmt(imp)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
