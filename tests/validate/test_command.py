"""``run_validate`` / ``run_crds_import`` and CRD loading from a dir, a file and a List on stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from ingress2gw.validate import CRDSet
from ingress2gw.validate.command import run_crds_import, run_validate

from . import manifests as m


def _write(tmp_path: Path, name: str, *objs: dict) -> Path:
    p = tmp_path / name
    p.write_text("---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objs))
    return p


def _run(paths, crds, version="1.6", channel="standard", fmt="text", env=None, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    code = run_validate([str(p) for p in paths], [str(c) for c in crds], version, channel, fmt, out, err,
                        stdin=stdin, env=env if env is not None else {"HOME": "/nonexistent"})
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def broken_route():
    r = m.httproute()
    r["spec"]["rules"][0]["backendRefs"][0]["weight"] = 1000001
    return r


def test_text_output_and_exit_codes(tmp_path, crds_dir, broken_route):
    good = _write(tmp_path, "good.yaml", m.gateway(), {"apiVersion": "v1", "kind": "Service",
                                                       "metadata": {"name": "s"}})
    code, out, err = _run([good], [crds_dir])
    assert code == 0, err
    assert out.strip() == "1 objects checked, 0 invalid, 1 skipped (built-in kinds)"
    bad = _write(tmp_path, "bad.yaml", m.gateway(), broken_route)
    code, out, err = _run([bad], [crds_dir])
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "2 objects checked, 1 invalid"
    [line] = lines[:-1]
    assert line.startswith(f"{bad}:")
    assert line.split(" ", 1)[1] == ("HTTPRoute default/web: spec.rules[0].backendRefs[0].weight: "
                                     "Invalid value: 1000001: should be less than or equal to 1000000")
    line_no = int(line.split(" ", 1)[0].rsplit(":", 1)[1])
    assert "weight: 1000001" in bad.read_text().splitlines()[line_no - 1]


def test_json_output(tmp_path, crds_dir, broken_route):
    bad = _write(tmp_path, "bad.yaml", m.gateway(), broken_route)
    code, out, _ = _run([bad], [crds_dir], fmt="json")
    assert code == 1
    data = json.loads(out)
    assert data["version"] == 1 and data["exitCode"] == 1
    assert data["summary"] == {"checked": 2, "invalid": 1, "valid": 1, "skipped": 0, "notObjects": 0}
    assert data["crds"]["gatewayApiBundle"].endswith("gateway-api/v1.6.1/standard")
    route = data["objects"][1]
    assert (route["kind"], route["namespace"], route["name"], route["status"], route["document"]) == \
        ("HTTPRoute", "default", "web", "invalid", 2)
    [p] = route["problems"]
    assert p["field"] == "spec.rules[0].backendRefs[0].weight" and p["kind"] == "schema"


def test_gateway_api_version_selects_bundle(tmp_path, crds_dir):
    f = _write(tmp_path, "ls.yaml", m.listenerset())
    assert _run([f], [crds_dir], version="1.6")[0] == 0
    code, out, _ = _run([f], [crds_dir], version="1.2")
    assert code == 1 and "unknown" not in out  # unknown-kind problem text is "no matches for kind"
    assert 'no matches for kind "ListenerSet"' in out


def test_no_crds_exit_2_with_instructions(tmp_path):
    f = _write(tmp_path, "g.yaml", m.gateway())
    code, out, err = _run([f], [], env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert code == 2 and out == ""
    assert "ingress2gw crds import" in err and "--crds" in err and "INGRESS2GW_CRDS" in err


def test_usage_errors(tmp_path, crds_dir):
    f = _write(tmp_path, "g.yaml", m.gateway())
    assert _run([f], [crds_dir], channel="beta")[0] == 2
    assert _run([f], [crds_dir], version="latest")[0] == 2
    assert _run([f], [crds_dir], fmt="xml")[0] == 2


def test_unreadable_input_exit_2(tmp_path, crds_dir):
    code, out, err = _run([tmp_path / "missing.yaml"], [crds_dir])
    assert code == 2 and "missing.yaml" in err


def test_env_store_and_cache_import(tmp_path, crds_dir):
    f = _write(tmp_path, "g.yaml", m.gateway())
    assert _run([f], [], env={"INGRESS2GW_CRDS": str(crds_dir)})[0] == 0
    cache = tmp_path / "cache"
    out, err = io.StringIO(), io.StringIO()
    assert run_crds_import([str(crds_dir / "gateway-api" / "v1.6.1" / "standard")], stdout=out, stderr=err,
                           env={"XDG_CACHE_HOME": str(cache)}) == 0
    assert "gateway-api/v1.6.1/standard" in out.getvalue()
    assert (cache / "ingress2gw" / "crds" / "gateway-api" / "v1.6.1" / "standard").is_dir()
    code, out_text, err_text = _run([f], [], env={"XDG_CACHE_HOME": str(cache)})
    assert code == 0, err_text


def test_import_from_stdin_kubectl_list(tmp_path, crds_dir):
    text = _kubectl_list_text(crds_dir / "gateway-api" / "v1.6.1" / "standard")
    out, err = io.StringIO(), io.StringIO()
    assert run_crds_import(["-"], dest=str(tmp_path / "store"), stdin=io.StringIO(text), stdout=out,
                           stderr=err) == 0
    assert CRDSet.load([tmp_path / "store"]).kinds() == CRDSet.load(
        [crds_dir / "gateway-api" / "v1.6.1" / "standard"]).kinds()


def _kubectl_list_text(folder: Path) -> str:
    items = []
    for f in sorted(folder.glob("*.yaml")):
        for d in yaml.safe_load_all(f.read_text()):
            if d and d.get("kind") == "CustomResourceDefinition":
                d["status"] = {"acceptedNames": d["spec"]["names"]}
                items.append(d)
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}})


def test_crdset_load_dir_file_and_stdin(crds_dir):
    folder = crds_dir / "gateway-api" / "v1.2.1" / "standard"
    from_dir = CRDSet.load([folder])
    assert ("gateway.networking.k8s.io", "v1", "HTTPRoute") in from_dir.kinds()
    from_file = CRDSet.load([folder / "gateway.networking.k8s.io_httproutes.yaml"])
    assert {k for k in from_file.kinds()} == {("gateway.networking.k8s.io", "v1", "HTTPRoute"),
                                              ("gateway.networking.k8s.io", "v1beta1", "HTTPRoute")}
    from_stdin = CRDSet.load(["-"], stdin=io.StringIO(_kubectl_list_text(folder)))
    assert from_stdin.kinds() == from_dir.kinds()


def test_validate_with_crds_from_stdin(tmp_path, crds_dir):
    f = _write(tmp_path, "g.yaml", m.gateway())
    text = _kubectl_list_text(crds_dir / "gateway-api" / "v1.6.1" / "standard")
    assert _run([f], ["-"], stdin=io.StringIO(text))[0] == 0


def test_manifests_from_stdin(crds_dir):
    text = yaml.safe_dump(m.gateway()).encode()
    code, out, err = _run(["-"], [crds_dir], stdin=io.BytesIO(text))
    assert code == 0, err
    assert out.strip() == "1 objects checked, 0 invalid"


def test_a_duplicate_key_makes_the_object_invalid_as_kubectl_apply_does(tmp_path, crds_dir):
    """kubectl apply (strict field validation, its default) refuses a manifest that repeats a key, built-in
    kinds included; validate says so at the key's line and exits 1 (the loader keeps the last value)."""
    p = tmp_path / "dup.yaml"
    p.write_text("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\n"
                 "spec:\n  hostnames: [a.example.com]\n  hostnames: [b.example.com]\n"
                 "  rules:\n  - backendRefs: [{name: web, port: 80}]\n---\n"
                 "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: []\n  ports: []\n---\n"
                 "apiVersion: v1\nkind: Service\nmetadata: {name: fine}\n")
    code, out, err = _run([p], [crds_dir])
    assert code == 1, (out, err)
    lines = out.splitlines()
    assert lines[-1] == "2 objects checked, 2 invalid, 1 skipped (built-in kinds)"
    assert lines[0].startswith(f"{p}:7 HTTPRoute r: ") and "strict field validation" in lines[0]
    assert lines[1].startswith(f"{p}:16 Service s: duplicate key 'ports'")
    code, out, _ = _run([p], [crds_dir], fmt="json")
    doc = json.loads(out)
    assert [o["status"] for o in doc["objects"]] == ["invalid", "invalid", "skipped"]
    assert doc["objects"][0]["problems"][0]["kind"] == "duplicate-key"
