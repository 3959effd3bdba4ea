"""``run_verify``: formats, exit codes, ``--requests``, ``--gateway-manifests``."""

from __future__ import annotations

import io
import json

from conftest import FIXTURES
from ingress2gw.pipeline import Options
from ingress2gw.verify.command import run_verify
from ingress2gw.verify.requests import load_requests

TLS = FIXTURES / "ingress-nginx" / "tls-redirect" / "input.yaml"
BASIC = FIXTURES / "ingress-nginx" / "basic-paths" / "input.yaml"


def call(paths, fmt="json", **kw):
    out, err = io.StringIO(), io.StringIO()
    code = run_verify([str(p) for p in paths], gateway_manifests=kw.get("gateway_manifests"),
                      requests_file=kw.get("requests_file"), fmt=fmt, options=Options(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_json_is_stable_and_every_difference_is_explained():
    code, out, _ = call([TLS])
    doc = json.loads(out)
    assert doc["schemaVersion"] == 2
    assert code == 0, [d for d in doc["differences"] if not d["expected"]]
    assert doc["differences"] and all(d["expected"] for d in doc["differences"])
    assert call([TLS])[1] == out  # deterministic


def test_clean_input_exits_0_and_text_and_markdown_render():
    code, out, _ = call([BASIC], fmt="text")
    assert code == 0 and "unexplained" in out
    code, out, _ = call([BASIC], fmt="markdown")
    assert code == 0 and out.startswith("## Traffic verification")


def test_gateway_manifests_are_used(tmp_path):
    (tmp_path / "empty.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    code, out, _ = call([BASIC], gateway_manifests=str(tmp_path))
    assert code == 1  # no Gateway: nothing is served, the controller served everything
    assert json.loads(out)["summary"]["unexplained"] > 0


def test_user_requests(tmp_path):
    f = tmp_path / "req.yaml"
    f.write_text("- {host: shop.example.com, path: /api/v1, scheme: http, headers: {X-A: b}, query: a=1}\n")
    code, out, _ = call([BASIC], requests_file=str(f))
    assert code == 0
    assert load_requests(f.read_text())[0].label() == "http://shop.example.com/api/v1?a=1 [X-A: b]"
    f.write_text("- {path: /nohost}\n")
    code, _, err = call([BASIC], requests_file=str(f))
    assert code == 2 and "host" in err


def test_unreadable_input_exits_2(tmp_path):
    code, _, err = call([tmp_path / "missing.yaml"])
    assert code == 2


def test_bad_format():
    assert call([BASIC], fmt="sarif")[0] == 2
