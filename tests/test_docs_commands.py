"""Every command the README and docs/ci.md show runs as written, against the bundled examples.

Each line of a ```sh / ```bash / ```console block (a ``$ `` prompt is dropped) runs in a scratch folder holding
``manifests/`` (the example cluster), ``examples/`` and ``standard-install.yaml`` (the Gateway API CRDs), with
``ingress2gw`` and a stand-in ``kubectl`` (serving the example cluster, the CRDs, and the recorded cluster of
``tests/data/kubectl`` for ``--from-cluster``) first on PATH. A command
may exit 0 or 1 (1 is a gate doing its job); 2 (a usage error, input it cannot read) or a traceback fails the
test: the docs would be telling users to run something that does not work. The set-up block (``make ...``) is
what CI itself runs, so it is left out here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, require_shared

DOCS = ("README.md", "docs/ci.md")
FENCE = re.compile(r"^```(sh|bash|console)\s*\n(.*?)^```", re.M | re.S)

KUBECTL = """#!/usr/bin/env bash
# Stand-in kubectl for the docs' commands: the example cluster, or the Gateway API CRDs.
case " $* " in
  *" api-resources "*|*" json "*) exec "$DOCS_RECORDED_KUBECTL" "$@" ;;  # --from-cluster: recorded answers
  *" crd "*|*" crds "*|*customresourcedefinitions*) cat "$DOCS_CRDS" ;;
  *" get "*) cat "$DOCS_CLUSTER" ;;
  *) echo "stand-in kubectl: unsupported: $*" >&2; exit 1 ;;
esac
"""


def _commands() -> list[tuple[str, int, str]]:
    out = []
    for doc in DOCS:
        text = (REPO / doc).read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            first = text[: m.start(2)].count("\n") + 1
            for i, line in enumerate(m.group(2).splitlines()):
                cmd = re.sub(r"^\$ ", "", line.strip())
                cmd = re.sub(r"\s+#.*$", "", cmd)  # a trailing comment
                if not cmd or cmd.startswith("#") or cmd.startswith("make "):
                    continue
                out.append((doc, first + i, cmd))
    return out


COMMANDS = _commands()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> dict:
    crds_dir = require_shared("crds") / "gateway-api" / "v1.6.1" / "standard"
    root = tmp_path_factory.mktemp("docs")
    (root / "manifests").mkdir()
    shutil.copy(REPO / "examples" / "cluster.yaml", root / "manifests" / "cluster.yaml")
    shutil.copytree(REPO / "examples", root / "examples")
    crds = "".join(f"---\n{p.read_text()}\n" for p in sorted(crds_dir.glob("*.yaml")))
    (root / "standard-install.yaml").write_text(crds)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    tool = Path(sys.executable).parent / "ingress2gw"
    (bin_dir / "ingress2gw").symlink_to(tool)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DOCS_CLUSTER": str(root / "examples" /
           "cluster.yaml"), "DOCS_CRDS": str(root / "standard-install.yaml"), "COLUMNS": "120",
           "DOCS_RECORDED_KUBECTL": str(REPO / "tests" / "data" / "kubectl" / "kubectl")}
    return {"root": root, "env": env}


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 10 and any("ingress2gw convert" in c for _, _, c in COMMANDS)


@pytest.mark.parametrize("doc,line,command", COMMANDS, ids=[f"{d}:{n}" for d, n, _ in COMMANDS])
def test_every_documented_command_runs_as_written(scratch, doc, line, command):
    r = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=scratch["root"], env=scratch["env"],
                       capture_output=True, text=True, timeout=300)
    where = f"{doc}:{line}: {command}\nexit {r.returncode}\n{r.stderr[-3000:]}"
    assert "Traceback" not in r.stderr, where
    assert r.returncode in (0, 1), where
