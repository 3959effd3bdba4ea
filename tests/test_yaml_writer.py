"""ingress2gw.yaml_writer: exact format, quoting, determinism, and round trips through other readers."""

from __future__ import annotations

import io
import math

import pytest
import yaml as pyyaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ingress2gw.source.loader import load_bytes
from ingress2gw.yaml_writer import dump_documents, format_scalar


def ruamel_load_all(text: str) -> list:
    return list(YAML(typ="safe", pure=True).load_all(io.StringIO(text)))


def test_exact_format():
    docs = [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "shop", "namespace": "prod", "labels": {}},
            "spec": {
                "parentRefs": [{"name": "gw", "sectionName": "https"}],
                "hostnames": ["shop.example.com"],
                "rules": [
                    {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "filters": [],
                     "backendRefs": [{"name": "shop", "port": 80, "weight": 1}]},
                ],
                "nested": [[1, 2], [], {}],
            },
        },
        {"kind": "Empty"},
    ]
    assert dump_documents(docs) == """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: prod
  labels: {}
spec:
  parentRefs:
  - name: gw
    sectionName: https
  hostnames:
  - shop.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    filters: []
    backendRefs:
    - name: shop
      port: 80
      weight: 1
  nested:
  - - 1
    - 2
  - []
  - {}
---
kind: Empty
"""


def test_stream_edges():
    assert dump_documents([]) == ""
    assert dump_documents([{}]) == "{}\n"
    assert dump_documents([{"a": 1}, {}, {"b": None}]) == "a: 1\n---\n{}\n---\nb: null\n"


def test_key_order_is_kept():
    assert dump_documents([{"z": 1, "a": 2, "m": 3}]) == "z: 1\na: 2\nm: 3\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        # plain when nothing could read it as anything else
        ("nginx", "nginx"),
        ("/", "/"),
        ("/$2", "/$2"),
        ("shop.example.com", "shop.example.com"),
        ("nginx.ingress.kubernetes.io/rewrite-target", "nginx.ingress.kubernetes.io/rewrite-target"),
        ("/api(/|$)(.*)", "/api(/|$)(.*)"),
        ("--flag=x", "--flag=x"),
        ("a:b", "a:b"),
        ("a#b", "a#b"),
        ("it's", "it's"),
        ("ünïcödé", "ünïcödé"),
        ("https://auth.example.com/start?rd=$escaped_request_uri", "https://auth.example.com/start?rd=$escaped_request_uri"),
        # YAML 1.1 / 1.2 booleans and nulls
        *[(w, f"'{w}'") for w in ("on", "On", "ON", "off", "yes", "Yes", "no", "NO", "y", "Y", "n", "N",
                                  "true", "True", "false", "FALSE", "null", "Null", "NULL", "~")],
        ("", "''"),
        # numbers in every notation, timestamps
        *[(w, f"'{w}'") for w in ("1", "-1", "+1", "0123", "1:30", "190:20:30.15", "1e3", "1E3", "1.5", ".5", "1.",
                                  "0x1f", "0o17", "0b101", "1_000", "-_", "+__", ".inf", "-.inf", "+.INF", ".nan", ".NaN",
                                  "2024-01-01", "2024-01-01T10:00:00Z")],
        ("1.2.3", "1.2.3"),
        ("10.0.0.1", "10.0.0.1"),
        # indicators and structure
        *[(w, f"'{w}'") for w in ("-", "- x", "---", "...", "?", "? x", ":", ": x", "a: b", "a #b", "a:", "#c",
                                  "*ref", "&anchor", "!tag", "|", ">", "%x", "@x", "`x", "{a}", "[a]", ",",
                                  " lead", "trail ", "=", "<<", "\"q", "a\tb")],
        ("'q", "'''q'"),
        # double quotes for line breaks and non-printable characters
        ("a\nb", '"a\\nb"'),
        ("{\"k\":\"v\"}\n", '"{\\"k\\":\\"v\\"}\\n"'),
        ("tab\x00nul", '"tab\\0nul"'),
        ("bell\x07", '"bell\\a"'),
        ("esc\x1b", '"esc\\e"'),
        ("del\x7f", '"del\\x7f"'),
        ("nel\x85", '"nel\\N"'),
        ("ls\u2028ps\u2029", '"ls\\Lps\\P"'),
        ("bom\ufeff", '"bom\\ufeff"'),
        ("back\\slash\n", '"back\\\\slash\\n"'),
    ],
)
def test_quoting_table(value, text):
    assert format_scalar(value) == text
    # ...and every reader gets the string back
    assert pyyaml.safe_load(f"k: {text}\n") == {"k": value}
    assert ruamel_load_all(f"k: {text}\n") == [{"k": value}]
    assert load_bytes(f"k: {text}\n".encode(), "t.yaml").documents[0].obj == {"k": value}


def test_long_strings_are_never_folded():
    long = "x" * 5000 + " " + "y " * 3000 + "z"
    text = dump_documents([{"a": long, "b": long + "\n" + long}])
    assert len(text.splitlines()) == 2
    assert pyyaml.safe_load(text) == {"a": long, "b": long + "\n" + long}


def test_other_scalars():
    assert [format_scalar(v) for v in (True, False, None, 0, -7, 2**70, 1.5, -0.0, 1e20, 2.5e-7, math.inf, -math.inf)] == [
        "true", "false", "null", "0", "-7", str(2**70), "1.5", "-0.0", "1.0e+20", "2.5e-07", ".inf", "-.inf",
    ]
    assert format_scalar(math.nan) == ".nan"
    # YAML 1.1 readers need the "." in exponent floats
    assert pyyaml.safe_load(format_scalar(1e20)) == 1e20


def test_non_string_keys_are_written_as_strings():
    assert dump_documents([{80: "http", True: 1}]) == "'80': http\n'true': 1\n"


def test_tuples_and_mapping_subclasses():
    from collections import OrderedDict

    assert dump_documents([OrderedDict(a=(1, 2))]) == "a:\n- 1\n- 2\n"


def test_deterministic():
    doc = {"b": [{"x": "on", "y": 1.5}], "a": {"k": "v"}}
    assert dump_documents([doc, doc]) == dump_documents([doc, doc])


_scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=40)
)
_json_like = st.recursive(
    _scalars,
    lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=20), c, max_size=5),
    max_leaves=40,
)
_docs = st.lists(st.dictionaries(st.text(max_size=20), _json_like, min_size=1, max_size=6), min_size=1, max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_docs)
def test_round_trip_through_ruamel_pyyaml_and_our_loader(docs):
    text = dump_documents(docs)
    assert text.endswith("\n")
    assert ruamel_load_all(text) == docs
    assert list(pyyaml.load_all(text, Loader=pyyaml.CSafeLoader)) == docs
    r = load_bytes(text.encode(), "rt.yaml")
    assert r.problems == []
    assert [d.obj for d in r.documents] == docs
