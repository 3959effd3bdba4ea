"""ingress2gw.source.loader: documents, positions and input problems."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ingress2gw.source import loader
from ingress2gw.source.loader import Document, load_bytes, load_paths
from ingress2gw.source.location import Location

DATA = Path(__file__).parent / "data" / "loader"


def codes(result) -> list[str]:
    return [p.code for p in result.problems]


def names(result) -> list[str]:
    return [d.obj["metadata"]["name"] for d in result.documents]


def test_c_parser_in_use():
    assert loader.c_parser_in_use() is True


# -- documents ---------------------------------------------------------------------------------------------------


def test_multi_document_stream():
    src = str(DATA / "multi.yaml")
    r = load_paths([src])
    assert r.problems == []
    assert names(r) == ["one", "two", "three"]
    # empty documents are skipped quietly but keep their place in the stream
    assert [d.index for d in r.documents] == [0, 2, 3]
    assert [d.item for d in r.documents] == [None, None, None]
    assert [d.line for d in r.documents] == [2, 8, 16]
    assert all(d.source == src for d in r.documents)
    cm = r.documents[2].obj
    # YAML 1.2 core schema like ruamel's safe loader, but timestamps stay strings
    assert cm["data"] == {"on": "yes", "when": "2024-01-01", "n": 15}


def test_kubectl_get_list_is_flattened_and_locatable():
    src = str(DATA / "kubectl-get.yaml")
    r = load_paths([src])
    assert r.problems == []
    assert [(d.obj["kind"], d.index, d.item, d.line) for d in r.documents] == [
        ("Ingress", 0, 0, 3),
        ("IngressClass", 0, 1, 49),
        ("Service", 0, 2, 55),
    ]
    ing = r.documents[0]
    assert ing.obj["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-redirect"] == "false"
    assert ing.obj["metadata"]["resourceVersion"] == "123456"
    assert ing.obj["metadata"]["generation"] == 3
    last = json.loads(ing.obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["metadata"]["name"] == "shop"
    key = ("metadata", "annotations", "nginx.ingress.kubernetes.io/rewrite-target")
    assert ing.locate(key, part="key") == Location(src, 9, 7)
    assert ing.locate(key) == Location(src, 9, 51)
    assert ing.locate(("spec", "rules", 0, "http", "paths", 0, "path")) == Location(src, 39, 17)
    assert ing.locate(("spec", "rules", 0, "http", "paths", 0, "path"), part="key") == Location(src, 39, 11)
    assert ing.locate(("spec", "tls", 0, "hosts", 0)) == Location(src, 43, 9)
    assert ing.locate() == Location(src, 3, 3)
    svc = r.documents[2]
    # locate works relative to the item
    assert svc.locate(("spec", "ports", 0, "name"), part="key") == Location(src, 62, 7)
    assert svc.locate(("metadata", "name")) == Location(src, 58, 11)


def test_locate_falls_back_to_the_nearest_ancestor_and_never_raises():
    src = str(DATA / "kubectl-get.yaml")
    ing = load_paths([src]).documents[0]
    assert ing.locate(("metadata", "annotations", "missing"), part="key") == Location(src, 6, 5)
    assert ing.locate(("spec", "rules", 7, "host")) == Location(src, 31, 5)
    assert ing.locate(("spec", "ingressClassName", "deeper")) == Location(src, 29, 23)
    assert ing.locate((object(), None, 3.5)) == Location(src, 3, 3)  # nonsense path: the object's start


def test_json_list_with_lazy_positions():
    src = str(DATA / "list.json")
    r = load_paths([src])
    assert r.problems == []
    assert [(d.obj["kind"], d.index, d.item) for d in r.documents] == [("Service", 0, 0), ("Ingress", 0, 1)]
    a, b = r.documents
    assert a.obj == {"kind": "Service", "metadata": {"name": "a"}}
    assert a.line == 5 and b.line == 9
    assert b.locate(("metadata", "annotations", "x/y"), part="key") == Location(src, 13, 25)
    assert b.locate(("metadata", "annotations", "x/y")) == Location(src, 13, 32)
    assert b.locate(("metadata", "name")) == Location(src, 12, 17)
    assert b.locate(("metadata", "nope")) == Location(src, 11, 19)
    assert a.locate(("metadata",), part="key") == Location(src, 7, 7)


def test_json_single_object_and_escaped_keys():
    text = b'{"kind": "Ingress", "metadata": {"annotations": {"a\\"b": "1", "c": "2"}}}'
    d = load_bytes(text, "x.json").documents[0]
    assert d.item is None and d.line == 1
    assert d.obj["metadata"]["annotations"] == {'a"b': "1", "c": "2"}
    assert d.locate(("metadata", "annotations", 'a"b'), part="key") == Location("x.json", 1, 50)
    assert d.locate(("metadata", "annotations", "c")) == Location("x.json", 1, 68)


def test_yaml_list_item_that_is_not_an_object():
    text = b"kind: ServiceList\nitems:\n- kind: Service\n  metadata: {name: a}\n- just a string\n"
    r = load_bytes(text, "l.yaml")
    assert names(r) == ["a"]
    assert r.documents[0].item == 0
    assert [(p.code, p.location) for p in r.problems] == [("input.not-an-object", Location("l.yaml", 5, 3))]


def test_empty_list_and_documents_without_kind():
    r = load_bytes(b"kind: List\napiVersion: v1\nitems: []\n---\nmetadata: {name: nokind}\n", "e.yaml")
    assert r.problems == []
    assert [(d.index, d.obj) for d in r.documents] == [(1, {"metadata": {"name": "nokind"}})]


_NESTED = b"""\
kind: List
items:
- {kind: Service, metadata: {name: a}}
- kind: List
  items:
  - {kind: Service, metadata: {name: b}}
  - kind: ServiceList
    items:
    - {kind: Service, metadata: {name: c}}
  - {kind: Service, metadata: {name: d}}
- {kind: Service, metadata: {name: e}}
"""


def test_list_in_a_list_is_flattened_in_source_order():
    # kubectl flattens nested Lists (issue 11): nothing inside them may vanish.
    r = load_bytes(_NESTED, "n.yaml")
    assert r.problems == []
    assert names(r) == ["a", "b", "c", "d", "e"]
    assert [(d.item, d.line) for d in r.documents] == [(0, 3), (0, 6), (0, 9), (2, 10), (2, 11)]
    assert r.documents[2].locate(("metadata", "name")) == Location("n.yaml", 9, 40)


def test_list_in_a_list_in_json_keeps_positions():
    data = json.dumps(YAML(typ="safe", pure=True).load(_NESTED), indent=1).encode()
    r = load_bytes(data, "n.json")
    assert r.problems == [] and names(r) == ["a", "b", "c", "d", "e"]
    c = r.documents[2]
    assert data.decode().splitlines()[c.locate(("metadata", "name")).line - 1].strip() == '"name": "c"'


def test_list_whose_items_is_a_map_is_reported_not_dropped():
    text = b"kind: List\napiVersion: v1\nitems:\n  kind: Ingress\n  metadata: {name: x}\n---\nkind: List\nitems: 3\n"
    r = load_bytes(text, "m.yaml")
    assert r.documents == []
    assert [(p.code, p.location) for p in r.problems] == [
        ("input.invalid-object", Location("m.yaml", 4, 3)), ("input.invalid-object", Location("m.yaml", 8, 8))]
    assert "is a map, not a list" in r.problems[0].message and "'- '" in r.problems[0].message
    assert "is a number, not a list" in r.problems[1].message


def test_list_with_null_items_is_empty():
    r = load_bytes(b"kind: List\napiVersion: v1\nitems:\n", "e.yaml")
    assert (r.documents, r.problems) == ([], [])


def _inventory(text: bytes):
    from ingress2gw.report import Report
    from ingress2gw.source.objects import build_inventory

    report = Report()
    inv = build_inventory(load_bytes(text, "i.yaml").documents, report)
    return inv, [(f.code.value, str(f.location), str(f.obj), f.message) for f in report.findings]


_INGRESS_BODY = b"metadata: {name: web, namespace: shop}\nspec:\n  rules: [{host: a.example.com}]\n"


def test_ingress_without_api_version_is_an_input_error_naming_it():
    inv, found = _inventory(b"kind: Ingress\n" + _INGRESS_BODY)
    assert inv.ingresses == []
    assert [f[:3] for f in found] == [("input.invalid-object", "i.yaml:1:7", "Ingress shop/web")]
    assert "apiVersion is missing" in found[0][3] and "not converted" in found[0][3]


def test_lower_case_kind_is_an_input_error_naming_the_ingress():
    inv, found = _inventory(b"apiVersion: networking.k8s.io/v1\nkind: ingress\n" + _INGRESS_BODY)
    assert inv.ingresses == [] and inv.others == {}
    assert [f[:3] for f in found] == [("input.invalid-object", "i.yaml:2:7", "Ingress shop/web")]
    assert "case-sensitive: Ingress" in found[0][3]


def test_missing_kind_in_the_ingress_api_group_is_reported_other_documents_stay_quiet():
    _, found = _inventory(b"apiVersion: networking.k8s.io/v1\n" + _INGRESS_BODY)
    assert [f[:3] for f in found] == [("input.invalid-object", "i.yaml:1:1", "Ingress shop/web")]
    # Helm's Chart.yaml, values files, kustomization files: not Kubernetes objects, nothing to say.
    _, found = _inventory(b"apiVersion: v2\nname: chart\nversion: 1.0.0\n---\nreplicas: 3\n---\n"
                          b"apiVersion: apps/v1\nmetadata: {name: x}\n")
    assert found == []


def test_nameless_ingress_is_named_in_its_finding():
    _, found = _inventory(b"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {namespace: shop}\n"
                          b"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: 42}\n")
    assert [f[:3] for f in found] == [("input.invalid-object", "i.yaml:3:11", "Ingress shop/(unnamed)"),
                                      ("input.invalid-object", "i.yaml:7:18", "Ingress default/(unnamed)")]
    assert found[0][3].startswith("metadata.name is missing")
    assert found[1][3].startswith("metadata.name: expected a string, got an integer")


def test_empty_inputs_are_quiet():
    for data in (b"", b"\n\n", b"# only a comment\n", b"---\n---\n", b"--- null\n"):
        r = load_bytes(data, "e.yaml")
        assert (r.documents, r.problems) == ([], []), data


def test_tags_merge_keys_and_key_conversion():
    text = b"""\
base: &base {a: 1, b: 2}
m:
  <<: *base
  b: 3
multi:
  <<: [{x: 1}, {x: 2, y: 2}]
tagged:
  s: !!str 123
  i: !!int "42"
  f: !!float "1.5"
  custom: !Ref some-thing
  cmap: !Thing {k: v}
  b64: !!binary aGVsbG8=
keys:
  80: http
  true: yes
  ~: null
  1.5: x
plain: [0x1f, 1_000, .inf, -.inf, 1e3, 0123, "0123", '1:30', True, ~]
sexagesimal: 1:30
"""
    obj = load_bytes(text, "t.yaml").documents[0].obj
    assert obj["m"] == {"a": 1, "b": 3}
    assert list(obj["m"]) == ["a", "b"]
    assert obj["multi"] == {"x": 1, "y": 2}
    assert obj["tagged"] == {"s": "123", "i": 42, "f": 1.5, "custom": "some-thing", "cmap": {"k": "v"},
                             "b64": "aGVsbG8="}
    assert obj["keys"] == {"80": "http", "true": "yes", "~": None, "1.5": "x"}
    assert all(type(k) is str for k in obj["keys"])
    assert obj["plain"] == [31, 1000, float("inf"), float("-inf"), 1000.0, 123, "0123", "1:30", True, None]
    assert obj["sexagesimal"] == "1:30"  # YAML 1.2: no base-60 numbers


def test_merged_keys_are_locatable():
    text = b"base: &b\n  a: 1\nm:\n  <<: *b\n  c: 2\n"
    d = load_bytes(text, "m.yaml").documents[0]
    assert d.locate(("m", "a"), part="key") == Location("m.yaml", 2, 3)  # where the merged key was written
    assert d.locate(("m", "c")) == Location("m.yaml", 5, 6)


# -- problems ----------------------------------------------------------------------------------------------------


def test_bad_document_in_the_middle_keeps_the_others():
    src = str(DATA / "broken-middle.yaml")
    r = load_paths([src])
    assert names(r) == ["before", "after"]
    assert [d.index for d in r.documents] == [0, 2]
    assert [d.line for d in r.documents] == [1, 10]
    assert codes(r) == ["input.yaml-syntax"]
    p = r.problems[0]
    assert p.location.file == src and p.location.line in (7, 8)
    assert "YAML syntax error" in p.message
    assert r.documents[1].locate(("metadata", "name")) == Location(src, 12, 9)


def test_syntax_error_positions_and_resync_after_last_document():
    r = load_bytes(b"a: 1\n---\nb: [1\nc: 2\n", "s.yaml")
    assert [d.obj for d in r.documents] == [{"a": 1}]
    assert [(p.code, p.location.line) for p in r.problems] == [("input.yaml-syntax", 4)]
    r = load_bytes(b"kind: A\nx: : y\n---\nkind: B\n", "s.yaml")
    assert [d.obj["kind"] for d in r.documents] == ["B"]
    assert [(p.code, p.location) for p in r.problems] == [("input.yaml-syntax", Location("s.yaml", 2, 4))]


def test_unterminated_quote_does_not_lose_the_next_document():
    r = load_bytes(b'a: "open\n---\nkind: B\n', "q.yaml")
    assert [d.obj for d in r.documents] == [{"kind": "B"}]
    assert codes(r) == ["input.yaml-syntax"]


def test_duplicate_key_keeps_last_value_and_points_at_the_duplicate():
    text = b"metadata:\n  name: a\n  labels:\n    x: '1'\n    y: '2'\n    x: '3'\n"
    r = load_bytes(text, "d.yaml")
    assert r.documents[0].obj["metadata"]["labels"] == {"x": "3", "y": "2"}
    assert [(p.code, p.location) for p in r.problems] == [("input.duplicate-key", Location("d.yaml", 6, 5))]
    assert "'x'" in r.problems[0].message and "line 4" in r.problems[0].message
    assert r.documents[0].locate(("metadata", "labels", "x")) == Location("d.yaml", 6, 8)


def test_not_an_object():
    r = load_bytes(b"- a\n- b\n---\njust text\n---\n42\n---\nkind: Ok\n", "n.yaml")
    assert [d.obj for d in r.documents] == [{"kind": "Ok"}]
    assert [(p.code, p.location.line) for p in r.problems] == [("input.not-an-object", n) for n in (1, 4, 6)]
    r = load_bytes(b'[{"kind": "A"}]', "n.json")
    assert codes(r) == ["input.not-an-object"]


def test_json_syntax_error_has_line_and_column():
    r = load_bytes(b'{\n  "kind": "A",\n  "x": [1, 2,,]\n}\n', "bad.json")
    assert r.documents == []
    assert [(p.code, p.location) for p in r.problems] == [("input.json-syntax", Location("bad.json", 3, 14))]


def test_binary_input():
    r = load_bytes(b"kind: A\n\x00\x01\x02", "bin.yaml")
    assert (r.documents, codes(r)) == ([], ["input.binary"])
    r = load_bytes(b"kind: A\nname: \xff\xfe\xfa\n", "latin.yaml")
    assert codes(r) == ["input.binary"] and r.problems[0].location.line == 2


def test_utf8_bom_and_utf16_are_text():
    assert load_bytes("\ufeffkind: Ä\n".encode(), "b.yaml").documents[0].obj == {"kind": "Ä"}
    d = load_bytes("kind: A\nname: ü\n".encode("utf-16"), "w.yaml").documents[0]
    assert d.obj == {"kind": "A", "name": "ü"} and d.locate(("name",)) == Location("w.yaml", 2, 7)


def test_columns_count_characters_not_bytes():
    d = load_bytes("ünïcödé: x\nk: v\nääkey: value\n".encode(), "u.yaml").documents[0]
    assert d.locate(("ääkey",)) == Location("u.yaml", 3, 8)


def test_too_large(monkeypatch, tmp_path):
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 10)
    f = tmp_path / "big.yaml"
    f.write_text("kind: Service\nmetadata: {}\n")
    r = load_paths([str(f)])
    assert (r.documents, codes(r)) == ([], ["input.too-large"])
    r = load_paths(["-"], stdin=io.BytesIO(b"kind: Service\nmetadata: {}\n"))
    assert codes(r) == ["input.too-large"]


def test_alias_bomb_stops_the_document_only():
    lol = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i, prev in zip("bcdefghi", "abcdefgh"):
        lol.append(f"{i}: &{i} [" + ", ".join([f"*{prev}"] * 9) + "]")
    text = ("kind: Good\n---\n" + "\n".join(lol) + "\n---\nkind: AlsoGood\n").encode()
    r = load_bytes(text, "bomb.yaml")
    assert [d.obj["kind"] for d in r.documents] == ["Good", "AlsoGood"]
    assert [d.index for d in r.documents] == [0, 2]
    assert codes(r) == ["input.alias-bomb"]
    assert r.problems[0].location.line > 2


def test_reasonable_aliases_are_fine():
    text = "defaults: &d {a: 1, b: [1, 2, 3]}\n" + "".join(f"x{i}: *d\n" for i in range(50))
    assert len(load_bytes(text.encode(), "ok.yaml").documents[0].obj) == 51


def test_undefined_and_recursive_alias():
    r = load_bytes(b"a: *nope\n---\nkind: B\n", "u.yaml")
    assert [d.obj for d in r.documents] == [{"kind": "B"}]
    assert [(p.code, p.location) for p in r.problems] == [("input.yaml-syntax", Location("u.yaml", 1, 4))]
    r = load_bytes(b"a: &r [1, *r]\n", "r.yaml")
    assert codes(r) == ["input.yaml-syntax"] and "recursive" in r.problems[0].message


def test_deep_nesting_does_not_crash():
    deep = b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n---\nkind: B\n"
    r = load_bytes(deep, "deep.yaml")
    assert [d.obj for d in r.documents] == [{"kind": "B"}]
    assert codes(r) == ["input.too-deep"]
    block = "".join(" " * i + f"k{i}:\n" for i in range(600)).encode()
    assert codes(load_bytes(block, "deep2.yaml")) == ["input.too-deep"]
    r = load_bytes(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "deep.json")
    assert codes(r) == ["input.too-deep"]


def test_control_character_is_a_syntax_error_with_position():
    r = load_bytes("kind: A\nnäme: \x01\n".encode(), "c.yaml")
    assert [(p.code, p.location) for p in r.problems] == [("input.yaml-syntax", Location("c.yaml", 2, 7))]


# -- paths -------------------------------------------------------------------------------------------------------


def test_directory_walk_order_suffix_filter_and_hidden_dirs():
    root = str(DATA / "tree")
    r = load_paths([root])
    assert r.problems == []
    assert [os.path.relpath(d.source, root) for d in r.documents] == [
        "m.yaml", "z.yaml", os.path.join("a-dir", "one.YML"), os.path.join("b-dir", "three.JSON"),
    ]
    assert [d.obj["kind"] for d in r.documents] == ["G", "A", "B", "D"]


def test_explicit_file_with_any_suffix_is_read():
    r = load_paths([str(DATA / "tree" / "a-dir" / "two.json.txt")])
    assert [d.obj for d in r.documents] == [{"kind": "C"}]


def test_directory_without_manifests_and_unreadable_paths():
    missing = str(DATA / "does-not-exist.yaml")
    r = load_paths([str(DATA / "empty-dir"), missing, str(DATA / "tree" / "z.yaml")])
    assert codes(r) == ["input.no-manifests", "input.unreadable"]
    assert r.problems[1].location == Location(missing)
    assert [d.obj for d in r.documents] == [{"kind": "A"}]  # the other paths are still loaded


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlink_loops_are_not_followed(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.yaml").write_text("kind: X\n")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    r = load_paths([str(tmp_path)])
    assert [d.obj for d in r.documents] == [{"kind": "X"}]


def test_stdin_yaml_and_json():
    r = load_paths(["-"], stdin=io.BytesIO(b"kind: A\n---\nkind: B\n"))
    assert [(d.source, d.index, d.obj["kind"]) for d in r.documents] == [("-", 0, "A"), ("-", 1, "B")]
    r = load_paths(["-"], stdin=io.BytesIO(b'{"kind": "List", "items": [{"kind": "C"}]}'))
    assert [(d.source, d.item, d.obj) for d in r.documents] == [("-", 0, {"kind": "C"})]
    assert r.documents[0].locate(("kind",)) == Location("-", 1, 37)
    # flow-style YAML that is not JSON still loads
    r = load_paths(["-"], stdin=io.BytesIO(b"{kind: D, n: 1}\n"))
    assert [d.obj for d in r.documents] == [{"kind": "D", "n": 1}]


def test_gc_state_is_restored():
    import gc

    assert gc.isenabled()
    load_bytes(b"kind: A\n", "a.yaml")
    assert gc.isenabled()
    gc.disable()
    try:
        load_bytes(b"kind: A\n", "a.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_document_is_the_documented_dataclass():
    d = load_bytes(b"kind: A\n", "a.yaml").documents[0]
    assert isinstance(d, Document)
    assert (d.source, d.index, d.item, d.obj, d.line) == ("a.yaml", 0, None, {"kind": "A"}, 1)
    assert json.loads(json.dumps(d.obj)) == d.obj


# -- property: whatever ruamel dumps, we load the same -----------------------------------------------------------

def _data(text: st.SearchStrategy[str]) -> st.SearchStrategy:
    scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | text
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
        max_leaves=30,
    )


def _ruamel_round_trip(obj: dict, flow: bool) -> None:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    buf = io.StringIO()
    yaml.dump(obj, buf)
    r = load_bytes(buf.getvalue().encode(), "h.yaml")
    assert r.problems == []
    if not obj:
        assert [d.obj for d in r.documents] in ([], [{}])
        return
    (d,) = r.documents
    # The oracle is ruamel's own pure-Python loader reading the same text: ruamel's emitter can fold a
    # double-quoted scalar inside a word, so the text does not always hold ``obj`` exactly.
    assert d.obj == YAML(typ="safe", pure=True).load(buf.getvalue())
    lines = buf.getvalue().splitlines()
    for k in obj:  # every key can be located, inside the text
        loc = d.locate((k,), part="key")
        assert 1 <= loc.line <= len(lines) and loc.col >= 1


# ruamel (YAML 1.2) writes NEL/LS/PS raw inside quotes; libyaml (YAML 1.1) reads them as line breaks and folds them.
_LINE_BREAKS_11 = "\x85\u2028\u2029"
_any_text = st.text(st.characters(blacklist_characters=_LINE_BREAKS_11, blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_any_text, _data(_any_text), max_size=6))
def test_ruamel_block_dump_then_load_is_equal(obj):
    _ruamel_round_trip(obj, flow=False)


# ruamel's emitter writes flow keys like ``?0`` / ``0?`` plain, which libyaml (like PyYAML) reads differently;
# that is an emitter/parser disagreement outside this project, so the flow-style run avoids "?" and ":".
_flow_text = st.text(
    st.characters(blacklist_characters="?:" + _LINE_BREAKS_11, blacklist_categories=("Cs",)), max_size=20
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_flow_text, _data(_flow_text), max_size=6))
def test_ruamel_flow_dump_then_load_is_equal(obj):
    _ruamel_round_trip(obj, flow=True)
