"""``convert --output-dir DIR`` is all or nothing: a refused path or a failed write leaves DIR as it was."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingress2gw import output
from ingress2gw.cli import app
from ingress2gw.output import OutputError, relative_path, write_objects
from ingress2gw.yaml_writer import dump_documents

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "cluster.yaml"


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every entry under ``root``: files with their bytes, directories as None."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def without_manifest(files: dict[str, bytes | None]) -> dict[str, bytes | None]:
    """A snapshot without the manifest the writer adds (tests/test_output_manifest.py covers it)."""
    assert output.MANIFEST_NAME in files
    return {k: v for k, v in files.items() if k != output.MANIFEST_NAME}


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".ingress2gw-tmp-" in p.name]


def convert(*args: str):
    return CliRunner().invoke(app, ["convert", str(EXAMPLE), "-q", *args], catch_exceptions=False)


def objects() -> list[dict]:
    """The example's emitted objects, exactly as ``convert`` hands them to write_objects."""
    seen = []
    real = output.write_objects

    def spy(objs, output_dir, stdout, *args, **kwargs):
        seen.append(objs)
        return real(objs, output_dir, stdout, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(output, "write_objects", spy)
    try:
        r = convert()
    finally:
        mp.undo()
    assert r.exit_code == 0, r.output
    assert len(seen) == 1 and seen[0]
    return seen[0]


def old_write_objects(objs: list[dict], output_dir: Path) -> None:
    """The writer as it was before the all-or-nothing change (the reference for 'same files as before')."""
    root = output_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    for obj in objs:
        target = (root / relative_path(obj)).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_documents([obj]), encoding="utf-8")


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "shop").mkdir(parents=True)
    (out / "README.md").write_text("mine\n")
    (out / "shop" / "notes.txt").write_text("also mine\n")
    (out / "gateway-system").mkdir()
    (out / "gateway-system" / "gateway-nginx.yaml").write_text("old content\n")
    return out


# Normal runs -------------------------------------------------------------------------------------------------

def test_new_directory_gets_the_same_files_as_before(tmp_path: Path):
    objs = objects()
    assert objs
    old_write_objects(objs, tmp_path / "old")
    write_objects(objs, tmp_path / "new" / "nested", io.StringIO())
    assert without_manifest(snapshot(tmp_path / "new" / "nested")) == snapshot(tmp_path / "old")
    assert leftovers(tmp_path / "new") == []


def test_cli_output_dir_matches_stdout_and_old_writer(tmp_path: Path):
    objs = objects()
    r = convert("--output-dir", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    old_write_objects(objs, tmp_path / "old")
    assert without_manifest(snapshot(tmp_path / "out")) == snapshot(tmp_path / "old")
    assert len([p for p in (tmp_path / "out").rglob("*.yaml")]) == len(objs)
    assert convert().stdout == dump_documents(objs)  # the objects are those convert prints
    assert leftovers(tmp_path) == []


def test_existing_directory_replaces_tool_files_and_keeps_user_files(user_dir: Path):
    before = snapshot(user_dir)
    r = convert("--output-dir", str(user_dir))
    assert r.exit_code == 0, r.output
    after = snapshot(user_dir)
    assert after["README.md"] == before["README.md"]
    assert after["shop/notes.txt"] == before["shop/notes.txt"]
    assert after["gateway-system/gateway-nginx.yaml"] != b"old content\n"
    assert b"kind: Gateway" in after["gateway-system/gateway-nginx.yaml"]
    assert leftovers(user_dir.parent) == []


def test_report_inside_output_dir_is_part_of_the_write(tmp_path: Path):
    out = tmp_path / "out"
    r = convert("--output-dir", str(out), "--report", str(out / "report.json"))
    assert r.exit_code == 0, r.output
    assert (out / "report.json").read_text().startswith("{")
    # ... so a refused output path means no report either
    (tmp_path / "out2" / "shop" / "httproute-shop-example-com.yaml").mkdir(parents=True)
    r = convert("--output-dir", str(tmp_path / "out2"), "--report", str(tmp_path / "out2" / "report.json"))
    assert r.exit_code == 2
    assert not (tmp_path / "out2" / "report.json").exists()


# Refused paths: an error before anything is written -----------------------------------------------------------

def test_path_existing_as_directory_is_refused_before_any_write(user_dir: Path):
    (user_dir / "shop" / "httproute-shop-example-com.yaml").mkdir()
    before = snapshot(user_dir)
    r = convert("--output-dir", str(user_dir))
    assert r.exit_code == 2
    assert "httproute-shop-example-com.yaml" in r.stderr and "is a directory" in r.stderr
    assert snapshot(user_dir) == before
    assert leftovers(user_dir.parent) == []


def test_namespace_existing_as_file_is_refused(user_dir: Path):
    (user_dir / "payments").write_text("a file, not a directory\n")
    before = snapshot(user_dir)
    r = convert("--output-dir", str(user_dir))
    assert r.exit_code == 2
    assert str(user_dir / "payments") in r.stderr
    assert snapshot(user_dir) == before


def test_output_dir_existing_as_file_is_refused(tmp_path: Path):
    (tmp_path / "out").write_text("x")
    r = convert("--output-dir", str(tmp_path / "out"))
    assert r.exit_code == 2
    assert (tmp_path / "out").read_text() == "x"
    assert leftovers(tmp_path) == []


def test_report_colliding_with_an_output_file_is_refused(tmp_path: Path):
    out = tmp_path / "out"
    r = convert("--output-dir", str(out), "--report", str(out / "shop" / "httproute-shop-example-com.yaml"))
    assert r.exit_code == 2
    assert not out.exists()


def test_path_escaping_the_directory_is_refused_before_any_write(tmp_path: Path, monkeypatch):
    calls = []
    monkeypatch.setattr(output, "_write_file", lambda path, text: calls.append(path))
    good = {"apiVersion": "v1", "kind": "HTTPRoute", "metadata": {"name": "fine", "namespace": "default"}}
    evil = {"apiVersion": "v1", "kind": "HTTPRoute", "metadata": {"name": "../../escape", "namespace": ".."}}
    out = tmp_path / "a" / "out"
    with pytest.raises(OutputError, match="outside"):
        write_objects([good, evil], out, sys.stdout)
    assert calls == []
    assert not (tmp_path / "a").exists()  # not even the directory (or its parent) was created
    assert not (tmp_path / "escape.yaml").exists()


def test_symlink_escaping_the_directory_is_refused(user_dir: Path, tmp_path: Path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (user_dir / "demo").symlink_to(outside)
    before = snapshot(user_dir)
    r = convert("--output-dir", str(user_dir))
    assert r.exit_code == 2
    assert "outside" in r.stderr
    assert list(outside.iterdir()) == []
    assert snapshot(user_dir) == before


# A failure in the middle of writing --------------------------------------------------------------------------

def _fail_on_third_write(monkeypatch):
    real, n = output._write_file, [0]

    def flaky(path: Path, text: str) -> None:
        n[0] += 1
        if n[0] == 3:
            raise OSError(28, "No space left on device", str(path))
        real(path, text)

    monkeypatch.setattr(output, "_write_file", flaky)
    return n


def test_write_failure_leaves_existing_dir_as_it_was(user_dir: Path, monkeypatch):
    n = _fail_on_third_write(monkeypatch)
    before = snapshot(user_dir)
    r = convert("--output-dir", str(user_dir))
    assert n[0] == 3
    assert r.exit_code == 2
    assert "No space left on device" in r.stderr
    assert snapshot(user_dir) == before
    assert leftovers(user_dir.parent) == []


def test_write_failure_leaves_no_new_dir(tmp_path: Path, monkeypatch):
    _fail_on_third_write(monkeypatch)
    r = convert("--output-dir", str(tmp_path / "new" / "out"))
    assert r.exit_code == 2
    assert not (tmp_path / "new").exists()
    assert list(tmp_path.iterdir()) == []


def test_move_failure_puts_back_what_was_moved(user_dir: Path, monkeypatch):
    """A failure while moving the files into an existing directory undoes the moves already made."""
    import os

    real, n = os.replace, [0]

    def flaky(src, dst):
        n[0] += 1
        if n[0] == 6:
            raise OSError(5, "Input/output error", str(dst))
        real(src, dst)

    monkeypatch.setattr(output.os, "replace", flaky)
    before = snapshot(user_dir)
    with pytest.raises(OutputError, match="Input/output error"):
        write_objects(objects(), user_dir, sys.stdout)
    assert n[0] >= 6
    assert snapshot(user_dir) == before
    assert leftovers(user_dir.parent) == []
