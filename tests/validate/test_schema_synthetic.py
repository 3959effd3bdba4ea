"""Structural schema checks on a small synthetic CRD (runs without the shared CRD bundles)."""

from __future__ import annotations

import pytest

from ingress2gw.validate import CRDSet, Problem, validate_object

SCHEMA = {
    "type": "object",
    "x-kubernetes-validations": [{"rule": "self.metadata.name.startsWith('w')", "message": "name must start with w"}],
    "properties": {
        "spec": {
            "type": "object",
            "required": ["mode"],
            "properties": {
                "mode": {"type": "string", "enum": ["A", "B"], "default": "A"},
                "replicas": {"type": "integer", "format": "int32", "minimum": 0, "default": 1},
                "ratio": {"type": "number", "exclusiveMaximum": True, "maximum": 1},
                "port": {"x-kubernetes-int-or-string": True},
                "name": {"type": "string", "maxLength": 3, "pattern": "^[a-zé]+\\z"},
                "host": {"type": "string", "format": "hostname"},
                "ip": {"type": "string", "format": "ipv4"},
                "when": {"type": "string", "format": "date-time"},
                "blob": {"type": "string", "format": "byte"},
                "odd": {"type": "string", "format": "no-such-format"},
                "nullable": {"type": "string", "nullable": True},
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set",
                         "maxItems": 3},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 2},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "choice": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                           "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
                "timeout": {"type": "string", "x-kubernetes-validations": [
                    {"rule": "duration(self) <= duration('1h')", "message": "at most 1h",
                     "reason": "FieldValueForbidden"}]},
                "old": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf"}]},
                "broken": {"type": "string", "x-kubernetes-validations": [{"rule": "self.nosuch()"}]},
                "items": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"],
                          "items": {"type": "object", "required": ["k"], "properties": {
                              "k": {"type": "string"}, "v": {"type": "integer", "default": 7}}},
                          "x-kubernetes-validations": [
                              {"rule": "self.all(i, i.v < 10)", "messageExpression": "'too big: ' + string(size(self))",
                               "fieldPath": ".k"}]},
            },
        },
        "status": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
    },
}

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"kind": "Widget", "plural": "widgets"},
             "versions": [
                 {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": SCHEMA},
                  "subresources": {"status": {}}},
                 {"name": "v0", "served": False, "storage": False, "schema": {"openAPIV3Schema": SCHEMA}},
             ]},
}

CRDS = CRDSet.from_objects([CRD])


def widget(**spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": spec}


def fields(obj):
    return [(p.field, p.kind) for p in validate_object(CRDS, obj)]


def test_kinds():
    assert CRDS.kinds() == [("example.com", "v1", "Widget")]


def test_defaults_fill_required_and_nulls_are_pruned():
    assert validate_object(CRDS, widget()) == []
    assert validate_object(CRDS, widget(mode=None, replicas=None)) == []  # null -> default
    assert validate_object(CRDS, widget(host=None)) == []  # null without default -> dropped
    assert validate_object(CRDS, widget(nullable=None)) == []
    assert validate_object(CRDS, widget(items=[{"k": "a"}])) == []  # item default v=7 < 10


def test_value_checks():
    assert fields(widget(mode="C")) == [("spec.mode", "schema")]
    assert fields(widget(replicas=-1)) == [("spec.replicas", "schema")]
    assert fields(widget(replicas=2**31)) == [("spec.replicas", "schema")]  # int32
    assert fields(widget(ratio=1)) == [("spec.ratio", "schema")]  # exclusiveMaximum
    assert fields(widget(ratio=0.5)) == []
    assert fields(widget(name="abcd")) == [("spec.name", "schema")]  # maxLength
    assert fields(widget(name="éé")) == []  # code points, RE2 \z
    assert fields(widget(name="ab1")) == [("spec.name", "schema")]  # pattern
    assert fields(widget(host="a..b")) == [("spec.host", "schema")]
    assert fields(widget(ip="300.1.1.1")) == [("spec.ip", "schema")]
    assert fields(widget(when="2024-01-01T00:00:00Z")) == []
    assert fields(widget(when="yesterday")) == [("spec.when", "schema")]
    assert fields(widget(blob="!!")) == [("spec.blob", "schema")]
    assert fields(widget(odd="anything")) == []  # unknown formats are ignored
    assert fields(widget(tags=["a", "a"])) == [("spec.tags[1]", "schema")]
    assert fields(widget(tags=["a", "b", "c", "d"])) == [("spec.tags", "schema")]
    assert fields(widget(labels={"a": "1", "b": "2", "c": "3"})) == [("spec.labels", "schema")]
    assert fields(widget(labels={"a": 1})) == [("spec.labels[a]", "schema")]
    assert fields(widget(choice={"a": "x", "b": "y"})) == [("spec.choice", "schema")]
    assert fields(widget(choice={"b": "y"})) == []


def test_int_or_string_and_types():
    assert fields(widget(port=80)) == []
    assert fields(widget(port="http")) == []
    assert fields(widget(port=1.5)) == [("spec.port", "schema")]
    assert fields(widget(replicas="3")) == [("spec.replicas", "schema")]
    assert fields(widget(nullable=3)) == [("spec.nullable", "schema")]


def test_unknown_fields():
    assert fields(widget(nope=1)) == [("spec.nope", "schema")]
    assert fields(widget(free={"anything": {"goes": 1}})) == []
    obj = widget()
    obj["metadata"]["bogus"] = 1
    assert fields(obj) == [("metadata.bogus", "schema")]


def test_status_ignored_with_subresource():
    obj = widget()
    obj["status"] = {"ok": "not-a-bool", "x": 1}
    assert fields(obj) == []


def test_cel_root_rule_sees_metadata_name():
    obj = widget()
    obj["metadata"]["name"] = "x1"
    [p] = validate_object(CRDS, obj)
    assert (p.field, p.kind, p.message) == ("", "cel", 'Invalid value: "object": name must start with w')


def test_cel_reason_field_path_message_expression():
    [p] = validate_object(CRDS, widget(timeout="2h"))
    assert p == Problem("spec.timeout", "Forbidden: at most 1h", "cel", "duration(self) <= duration('1h')")
    [p] = validate_object(CRDS, widget(items=[{"k": "a", "v": 11}]))
    assert (p.field, p.message) == ("spec.items.k", 'Invalid value: "array": too big: 1')


def test_list_map_duplicates():
    assert fields(widget(items=[{"k": "a"}, {"k": "a"}])) == [("spec.items[1]", "schema")]


def test_transition_rules_skipped_on_create_and_broken_rules_reported():
    assert fields(widget(old="x")) == []
    [p] = validate_object(CRDS, widget(broken="x"))
    assert p.kind == "cel-error" and p.field == "spec.broken" and "nosuch" in p.message


def test_runtime_error_is_cel_error():
    crd = {**CRD, "spec": {**CRD["spec"], "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
        "openAPIV3Schema": {"type": "object", "properties": {"spec": {
            "type": "object", "properties": {"a": {"type": "string"}},
            "x-kubernetes-validations": [{"rule": "self.a == 'x'"}]}}}}}]}}
    [p] = validate_object(CRDSet.from_objects([crd]), widget())
    assert p.kind == "cel-error" and "no such key" in p.message


def test_not_served_unknown_and_builtin():
    assert [p.kind for p in validate_object(CRDS, {**widget(), "apiVersion": "example.com/v0"})] == ["not-served"]
    assert [p.kind for p in validate_object(CRDS, {**widget(), "apiVersion": "example.com/v2"})] == ["unknown-kind"]
    assert validate_object(CRDS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}) == []
    assert validate_object(CRDS, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}) == []


@pytest.mark.parametrize("name,ok", [("w1", True), ("w" * 253, True), ("w" * 254, False), ("W1", False),
                                     ("w.b-c", True), ("w_", False)])
def test_metadata_name(name, ok):
    obj = widget()
    obj["metadata"]["name"] = name
    assert (not [p for p in validate_object(CRDS, obj) if p.field == "metadata.name"]) == ok
