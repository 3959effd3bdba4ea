"""Writing the emitted objects: one YAML stream on stdout, or one file per object in a directory.

Nothing is ever written outside ``--output-dir``: every file name is built from DNS-1123 names and
checked to resolve inside the directory.

An output directory is written all or nothing:

1. every path is planned first and checked (inside the directory, not an existing directory, writable);
   a refused path raises :class:`OutputError` before anything is written;
2. every file is written into a temporary directory beside the target (same parent, so moving it is a
   rename on one filesystem);
3. only when every file was written: a missing target directory is the temporary directory renamed; an
   existing one gets each planned file moved into place (files the tool writes are replaced, other files
   are left alone). If a move fails, the files already moved are put back as they were.

On any failure the temporary directory is removed and the target directory is left as it was.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from pathlib import Path
from typing import Iterable, TextIO

from ingress2gw.yaml_writer import dump_documents

_TMP_MARK = ".ingress2gw-tmp-"


class OutputError(OSError):
    """A path of the output directory was refused, or writing it failed; the directory is unchanged."""


def relative_path(obj: dict) -> Path:
    meta = obj["metadata"]
    ns = meta.get("namespace") or "_cluster"
    return Path(ns) / f"{obj['kind'].lower()}-{meta['name']}.yaml"


def _write_file(path: Path, text: str) -> None:
    """Write one file of the temporary directory (a separate function so tests can make it fail)."""
    path.write_text(text, encoding="utf-8")


def write_objects(objects: list[dict], output_dir: Path | None, stdout: TextIO,
                  extra_files: Iterable[tuple[Path, str]] = ()) -> None:
    """Print ``objects`` on ``stdout``, or write them (plus ``extra_files``: ``(path, text)`` pairs, the path
    relative to ``output_dir``, e.g. the report) into ``output_dir``, all or nothing."""
    if output_dir is None:
        if objects:
            stdout.write(dump_documents(objects))
        return
    root = output_dir.resolve()
    files: dict[Path, str] = {}
    for obj in objects:  # as before: a later object with the same file name wins
        files[_checked(root, relative_path(obj))] = dump_documents([obj])
    for rel, text in extra_files:
        rel = _checked(root, Path(rel))
        if rel in files:
            raise OutputError(f"refusing to write {root / rel}: it is also an output file")
        files[rel] = text
    _check_plan(root, files)
    _commit(root, files)


def _checked(root: Path, rel: Path) -> Path:
    """``rel`` when it names a file strictly inside ``root``; refused otherwise."""
    target = (root / rel).resolve()
    if rel.is_absolute() or ".." in rel.parts or not target.is_relative_to(root) or target == root:
        raise OutputError(f"refusing to write {rel} outside {root}")
    return rel


def _check_plan(root: Path, files: dict[Path, str]) -> None:
    """Refuse, before anything is written, every path the move into place would fail on."""
    if root.exists() and not root.is_dir():
        raise OutputError(f"refusing to write into {root}: it exists and is not a directory")
    parent = _existing_ancestor(root.parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"refusing to write {root}: no write permission on {parent}")
    dirs = {d for rel in files for d in rel.parents if d != Path(".")}
    for rel in sorted(files):
        target = root / rel
        if rel in dirs:
            raise OutputError(f"refusing to write {target}: another output file goes inside it")
        for d in reversed(rel.parents):
            if d != Path(".") and (root / d).exists() and not (root / d).is_dir():
                raise OutputError(f"refusing to write {target}: {root / d} exists and is not a directory")
        if target.is_dir():
            raise OutputError(f"refusing to write {target}: it exists and is a directory")
        if target.exists() and not os.access(target, os.W_OK):
            raise OutputError(f"refusing to write {target}: no write permission")
        existing = _existing_ancestor(target.parent)
        if existing.is_relative_to(root) and not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"refusing to write {target}: no write permission on {existing}")


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _make_tmp(parent: Path, name: str) -> Path:
    while True:
        tmp = parent / f".{name}{_TMP_MARK}{secrets.token_hex(4)}"
        try:
            tmp.mkdir()  # mode from the umask, as the directory created before
            return tmp
        except FileExistsError:
            continue


def _commit(root: Path, files: dict[Path, str]) -> None:
    created_parents = _mkdirs(root.parent)
    tmp = None
    try:
        tmp = _make_tmp(root.parent, root.name)
        new, old = tmp / "new", tmp / "old"
        new.mkdir()
        for rel, text in files.items():
            path = new / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                _write_file(path, text)
            except OSError as e:
                raise OutputError(f"cannot write {root / rel}: {e.strerror or e}") from e
        if not root.exists():
            try:
                new.rename(root)
            except OSError as e:
                raise OutputError(f"cannot create {root}: {e.strerror or e}") from e
        else:
            _move_into(root, new, old, files)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for d in reversed(created_parents):
            _rmdir_quiet(d)
        raise
    shutil.rmtree(tmp, ignore_errors=True)


def _mkdirs(path: Path) -> list[Path]:
    """Create ``path`` and its missing parents; the directories created, outermost first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    created = []
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
    except OSError as e:
        for d in reversed(created):
            _rmdir_quiet(d)
        raise OutputError(f"cannot create {d}: {e.strerror or e}") from e
    return created


def _rmdir_quiet(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def _move_into(root: Path, new: Path, old: Path, files: dict[Path, str]) -> None:
    """Move every written file into the existing ``root``; on a failure, undo the moves already made."""
    created: list[Path] = []
    moved: list[tuple[Path, bool]] = []  # (rel, an existing file was kept in old/)
    try:
        for rel in files:
            target = root / rel
            for d in reversed(rel.parents):
                if d != Path(".") and not (root / d).exists():
                    (root / d).mkdir()
                    created.append(root / d)
            had = target.exists()
            if had:  # keep the file's permissions, as rewriting it in place did
                os.chmod(new / rel, stat.S_IMODE(target.stat().st_mode))
                (old / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old / rel)
            moved.append((rel, had))
            os.replace(new / rel, target)
    except BaseException as e:  # an interrupt too: put back what was moved
        for rel, had in reversed(moved):
            target = root / rel
            try:
                if had:
                    os.replace(old / rel, target)
                elif target.exists():
                    target.unlink()
            except OSError:
                pass
        for d in reversed(created):
            _rmdir_quiet(d)
        if not isinstance(e, OSError):
            raise
        raise OutputError(f"cannot move the output into {root}: {e.strerror or e}"
                          f"{f' ({e.filename})' if e.filename else ''}") from e
