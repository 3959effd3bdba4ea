"""Writing the emitted objects: one YAML stream on stdout, or one file per object in a directory.

Nothing is ever written outside ``--output-dir``: every file name is built from DNS-1123 names and
checked to resolve inside the directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from ingress2gw.yaml_writer import dump_documents


def relative_path(obj: dict) -> Path:
    meta = obj["metadata"]
    ns = meta.get("namespace") or "_cluster"
    return Path(ns) / f"{obj['kind'].lower()}-{meta['name']}.yaml"


def write_objects(objects: list[dict], output_dir: Path | None, stdout: TextIO) -> None:
    if output_dir is None:
        if objects:
            stdout.write(dump_documents(objects))
        return
    root = output_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    for obj in objects:
        rel = relative_path(obj)
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or ".." in rel.parts:
            raise OSError(f"refusing to write {rel} outside {root}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_documents([obj]), encoding="utf-8")
