"""``--output-dir`` keeps a manifest of what it wrote: files of an earlier run that this one does not write are
stale, reported, and removed by ``--prune`` (only those, only inside the directory, all or nothing)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from ingress2gw import output
from ingress2gw.output import MANIFEST_NAME, OutputError, write_objects


def obj(name: str, ns: str = "shop", kind: str = "HTTPRoute") -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind, "metadata": {"name": name, "namespace": ns}}


def manifest(root: Path) -> dict:
    return json.loads((root / MANIFEST_NAME).read_text())


def test_manifest_lists_written_files_sorted_and_is_deterministic(tmp_path: Path):
    out = tmp_path / "out"
    objs = [obj("b"), obj("a"), obj("gw", "gateway-system", "Gateway")]
    r = write_objects(objs, out, io.StringIO(), [(Path("report.json"), "{}\n")])
    m = manifest(out)
    assert m["files"] == ["gateway-system/gateway-gw.yaml", "report.json", "shop/httproute-a.yaml",
                          "shop/httproute-b.yaml"]
    assert m["stale"] == [] and m["tool"] == "ingress2gw"
    assert [p.as_posix() for p in r.written] == m["files"]
    first = (out / MANIFEST_NAME).read_bytes()
    write_objects(list(reversed(objs)), out, io.StringIO(), [(Path("report.json"), "{}\n")])
    assert (out / MANIFEST_NAME).read_bytes() == first


def test_stdout_writes_no_manifest(tmp_path: Path):
    buf = io.StringIO()
    r = write_objects([obj("a")], None, buf)
    assert "HTTPRoute" in buf.getvalue() and r.stale == [] and r.written == []


def test_stale_files_are_reported_kept_and_reported_again(tmp_path: Path):
    out = tmp_path / "out"
    write_objects([obj("a"), obj("b"), obj("c", "other")], out, io.StringIO())
    r = write_objects([obj("a")], out, io.StringIO())
    assert [p.as_posix() for p in r.stale] == ["other/httproute-c.yaml", "shop/httproute-b.yaml"]
    assert r.pruned == []
    assert (out / "shop" / "httproute-b.yaml").exists() and (out / "other" / "httproute-c.yaml").exists()
    assert manifest(out)["stale"] == ["other/httproute-c.yaml", "shop/httproute-b.yaml"]
    r = write_objects([obj("a")], out, io.StringIO())  # still there: still stale
    assert len(r.stale) == 2
    (out / "shop" / "httproute-b.yaml").unlink()  # removed by hand: forgotten
    r = write_objects([obj("a")], out, io.StringIO())
    assert [p.as_posix() for p in r.stale] == ["other/httproute-c.yaml"]
    r = write_objects([obj("a"), obj("c", "other")], out, io.StringIO())  # written again: not stale
    assert r.stale == [] and manifest(out)["stale"] == []


def test_prune_removes_only_stale_files_the_manifest_lists(tmp_path: Path):
    out = tmp_path / "out"
    write_objects([obj("a"), obj("b"), obj("c", "other")], out, io.StringIO())
    (out / "shop" / "notes.txt").write_text("mine\n")
    (out / "README.md").write_text("mine\n")
    (out / "shop" / "httproute-z.yaml").write_text("mine, not the tool's\n")
    r = write_objects([obj("a")], out, io.StringIO(), prune=True)
    assert [p.as_posix() for p in r.pruned] == ["other/httproute-c.yaml", "shop/httproute-b.yaml"]
    assert r.stale == []
    assert not (out / "shop" / "httproute-b.yaml").exists()
    assert not (out / "other").exists()  # left empty by the pruning
    assert (out / "shop" / "notes.txt").read_text() == "mine\n"
    assert (out / "README.md").read_text() == "mine\n"
    assert (out / "shop" / "httproute-z.yaml").exists()
    assert manifest(out) == {**manifest(out), "files": ["shop/httproute-a.yaml"], "stale": []}
    assert not [p for p in tmp_path.iterdir() if ".ingress2gw-tmp-" in p.name]


def test_manifest_entries_outside_the_directory_or_not_regular_files_are_never_removed(tmp_path: Path):
    out = tmp_path / "out"
    write_objects([obj("a")], out, io.StringIO())
    outside = tmp_path / "outside.yaml"
    outside.write_text("keep\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text("keep\n")
    (out / "link").symlink_to(elsewhere)
    (out / "linkfile.yaml").symlink_to(outside)
    (out / "adir").mkdir()
    (out / MANIFEST_NAME).write_text(json.dumps({
        "tool": "ingress2gw", "manifestVersion": 1,
        "files": ["../outside.yaml", str(outside), "link/x.yaml", "linkfile.yaml", "adir", MANIFEST_NAME,
                  "shop/../../outside.yaml", "", 7, None],
        "stale": ["shop/httproute-a.yaml"]}))
    r = write_objects([obj("b")], out, io.StringIO(), prune=True)
    assert [p.as_posix() for p in r.pruned] == ["shop/httproute-a.yaml"]
    assert outside.read_text() == "keep\n" and (elsewhere / "x.yaml").read_text() == "keep\n"
    assert (out / "linkfile.yaml").is_symlink() and (out / "adir").is_dir()


@pytest.mark.parametrize("text", ["not json", "[]", '{"files": ["shop/httproute-a.yaml"]}'])
def test_a_foreign_or_broken_manifest_is_ignored_with_a_note(tmp_path: Path, text: str):
    out = tmp_path / "out"
    write_objects([obj("a")], out, io.StringIO())
    (out / MANIFEST_NAME).write_text(text)
    r = write_objects([obj("b")], out, io.StringIO(), prune=True)
    assert r.manifest_problem and MANIFEST_NAME in r.manifest_problem
    assert r.pruned == [] and (out / "shop" / "httproute-a.yaml").exists()
    assert manifest(out)["files"] == ["shop/httproute-b.yaml"]


def test_an_output_file_named_like_the_manifest_is_refused(tmp_path: Path):
    with pytest.raises(OutputError):
        write_objects([obj("a")], tmp_path / "out", io.StringIO(), [(Path(MANIFEST_NAME), "{}")])
    assert not (tmp_path / "out").exists()


def test_prune_is_part_of_the_all_or_nothing_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "out"
    write_objects([obj("a"), obj("b")], out, io.StringIO())
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = os.replace
    calls = []

    def failing(src, dst):
        calls.append((src, dst))
        if len(calls) == 4:  # after the stale file and a first output file were moved
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", failing)
    with pytest.raises(OutputError):
        write_objects([obj("a"), obj("c")], out, io.StringIO(), prune=True)
    monkeypatch.undo()
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the stale file is back, the new files are gone, the manifest is the old one
    assert not [p for p in tmp_path.iterdir() if ".ingress2gw-tmp-" in p.name]


def test_prune_refused_without_permission_changes_nothing(tmp_path: Path):
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    out = tmp_path / "out"
    write_objects([obj("a"), obj("b", "other")], out, io.StringIO())
    os.chmod(out / "other", 0o500)
    try:
        with pytest.raises(OutputError, match="stale"):
            write_objects([obj("a")], out, io.StringIO(), prune=True)
        assert (out / "other" / "httproute-b.yaml").exists()
    finally:
        os.chmod(out / "other", 0o700)


def test_validate_and_check_do_not_read_the_manifest(tmp_path: Path):
    """The manifest is hidden: reading the output directory as input skips it."""
    from ingress2gw.source.loader import load_paths

    out = tmp_path / "out"
    write_objects([obj("a")], out, io.StringIO())
    loaded = load_paths([str(out)])
    assert [d.source for d in loaded.documents] == [str(out / "shop" / "httproute-a.yaml")]
