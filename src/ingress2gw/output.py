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

Every write into a directory also writes ``.ingress2gw-manifest.json`` there, in the same plan: the relative
paths this run wrote (``files``, sorted) and the files an earlier run wrote that are still there (``stale``).
The next run into the directory reads it: a file the previous manifest lists that this run does not write is
*stale*. Stale files are reported (and listed again under ``stale``), or, with ``prune``, removed as one more step
of the same all-or-nothing move (a failure puts them back). Only files a previous manifest lists are ever
removed, only regular files, and only inside the directory.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, TextIO

from ingress2gw.yaml_writer import dump_documents

_TMP_MARK = ".ingress2gw-tmp-"
#: What the tool wrote into an output directory (hidden: ``validate DIR`` and the input walk skip it).
MANIFEST_NAME = ".ingress2gw-manifest.json"
MANIFEST_VERSION = 1


class OutputError(OSError):
    """A path of the output directory was refused, or writing it failed; the directory is unchanged."""


@dataclass
class WriteResult:
    """What a write into an output directory did (all paths relative to it, sorted)."""

    #: The files this run wrote (the manifest itself not included).
    written: list[Path] = field(default_factory=list)
    #: Files an earlier run wrote that this run did not, still in the directory (not pruned).
    stale: list[Path] = field(default_factory=list)
    #: Stale files removed (``prune``).
    pruned: list[Path] = field(default_factory=list)
    #: Why the previous manifest was ignored (unreadable, not a manifest), if it was.
    manifest_problem: str | None = None


def relative_path(obj: dict) -> Path:
    meta = obj["metadata"]
    ns = meta.get("namespace") or "_cluster"
    return Path(ns) / f"{obj['kind'].lower()}-{meta['name']}.yaml"


def _write_file(path: Path, text: str) -> None:
    """Write one file of the temporary directory (a separate function so tests can make it fail)."""
    path.write_text(text, encoding="utf-8")


def write_objects(objects: list[dict], output_dir: Path | None, stdout: TextIO,
                  extra_files: Iterable[tuple[Path, str]] = (), *, prune: bool = False) -> WriteResult:
    """Print ``objects`` on ``stdout``, or write them (plus ``extra_files``: ``(path, text)`` pairs, the path
    relative to ``output_dir``, e.g. the report) and the manifest into ``output_dir``, all or nothing.

    ``prune``: remove the stale files (listed by the previous manifest, not written now) in the same move."""
    if output_dir is None:
        if objects:
            stdout.write(dump_documents(objects))
        return WriteResult()
    root = output_dir.resolve()
    files: dict[Path, str] = {}
    manifest = Path(MANIFEST_NAME)
    for obj in objects:  # as before: a later object with the same file name wins
        files[_checked(root, relative_path(obj))] = dump_documents([obj])
    for rel, text in extra_files:
        rel = _checked(root, Path(rel))
        if rel in files or rel == manifest:
            raise OutputError(f"refusing to write {root / rel}: it is also an output file")
        files[rel] = text
    if manifest in files:
        raise OutputError(f"refusing to write {root / manifest}: it is the manifest of the output directory")
    result = WriteResult(written=sorted(files))
    previous, result.manifest_problem = read_manifest(root)
    stale = sorted(rel for rel in previous if rel not in files and _is_stale_file(root, rel))
    if prune:
        result.pruned = stale
    else:
        result.stale = stale
    files[manifest] = render_manifest(result.written, result.stale)
    _check_plan(root, files, result.pruned)
    _commit(root, files, result.pruned)
    return result


def render_manifest(written: Iterable[Path], stale: Iterable[Path] = ()) -> str:
    """The manifest's text: deterministic (sorted POSIX paths, no time stamps)."""
    doc = {"tool": "ingress2gw", "manifestVersion": MANIFEST_VERSION,
           "files": sorted(p.as_posix() for p in written), "stale": sorted(p.as_posix() for p in stale)}
    return json.dumps(doc, indent=2) + "\n"


def read_manifest(root: Path) -> tuple[list[Path], str | None]:
    """The files the manifest in ``root`` lists (``files`` and ``stale``), each a safe relative path inside
    ``root``; and why the manifest was ignored, if it was. No manifest: ``([], None)``."""
    path = root / MANIFEST_NAME
    try:
        if not path.is_file():
            return [], None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return [], f"{path}: ignored, not readable as a manifest ({e})"
    if not isinstance(doc, dict) or doc.get("tool") != "ingress2gw" or not isinstance(doc.get("files"), list):
        return [], f"{path}: ignored, not an ingress2gw manifest"
    out: list[Path] = []
    for entry in [*doc.get("files", []), *(doc.get("stale") or [])]:
        if not isinstance(entry, str) or not entry or "\\" in entry:
            continue
        rel = Path(entry)
        try:
            rel = _checked(root, rel)
        except OutputError:
            continue  # never anything outside the directory
        if rel != Path(MANIFEST_NAME) and rel not in out:
            out.append(rel)
    return out, None


def _is_stale_file(root: Path, rel: Path) -> bool:
    """A regular file (not a link, not a directory) at ``rel`` whose parent directories are real directories."""
    path = root / rel
    try:
        for d in rel.parents:
            if d != Path(".") and (root / d).is_symlink():
                return False
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _checked(root: Path, rel: Path) -> Path:
    """``rel`` when it names a file strictly inside ``root``; refused otherwise."""
    target = (root / rel).resolve()
    if rel.is_absolute() or ".." in rel.parts or not target.is_relative_to(root) or target == root:
        raise OutputError(f"refusing to write {rel} outside {root}")
    return rel


def _check_plan(root: Path, files: dict[Path, str], remove: Iterable[Path] = ()) -> None:
    """Refuse, before anything is written, every path the move into place would fail on."""
    if root.exists() and not root.is_dir():
        raise OutputError(f"refusing to write into {root}: it exists and is not a directory")
    parent = _existing_ancestor(root.parent)
    if not parent.is_dir():
        raise OutputError(f"refusing to write into {root}: {parent} is not a directory")
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
    for rel in remove:
        if not os.access(root / rel.parent, os.W_OK | os.X_OK):
            raise OutputError(f"refusing to remove the stale file {root / rel}: no write permission on "
                              f"{root / rel.parent}")


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


def _commit(root: Path, files: dict[Path, str], remove: list[Path] | None = None) -> None:
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
            _move_into(root, new, old, files, remove or [])
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for d in reversed(created_parents):
            _rmdir_quiet(d)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    for rel in remove or []:  # directories the pruning left empty (never the output directory itself)
        for d in rel.parents:
            if d == Path("."):
                break
            _rmdir_quiet(root / d)


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


def _move_into(root: Path, new: Path, old: Path, files: dict[Path, str], remove: list[Path]) -> None:
    """Move every written file into the existing ``root`` and the ``remove``d ones out of it; on a failure, undo
    the moves already made."""
    created: list[Path] = []
    moved: list[tuple[Path, bool]] = []  # (rel, an existing file was kept in old/)
    try:
        for rel in remove:  # a stale file is kept in old/ until every move succeeded
            (old / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(root / rel, old / rel)
            moved.append((rel, True))
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
