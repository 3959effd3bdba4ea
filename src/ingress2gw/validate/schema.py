"""Structural-schema validation of custom resources, the way the API server does it on create.

Order of work for one object (see :func:`validate_custom_resource`):

1. ``status`` is dropped when the CRD version has the status subresource (it is reset on create);
2. nulls in non-nullable fields are pruned, then ``default`` values are applied
   (``PruneNonNullableNullsWithoutDefaults`` + ``Default`` in apiextensions-apiserver);
3. the structural schema is checked (types, formats, value validations, unknown fields as
   errors - kubectl's default ``--validate=strict``);
4. every ``x-kubernetes-validations`` rule is evaluated at its location with ``self`` bound to
   the value there.  A rule is not run on a value whose subtree has a *type* error (the
   apiserver would report that first and the rule could only report noise).
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import json
import re
from typing import Any, Mapping

import celpy.celtypes as ct
from celpy.evaluation import CELEvalError

from . import cel
from .problem import Problem

__all__ = ["validate_custom_resource", "validate_metadata", "apply_defaults"]

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT32 = (0, 2**32 - 1)


def _show(v: Any) -> str:
    try:
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=False, default=str)
    except (TypeError, ValueError):
        return repr(v)


#: Python type -> JSON Schema type name (bool before int: a bool is an int in Python).
_JSON_TYPES = ((type(None), "null"), (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"))


def _json_type(v: Any) -> str:
    return next((name for t, name in _JSON_TYPES if isinstance(v, t)), type(v).__name__)


def _key_path(path: str, key: str) -> str:
    return f"{path}[{key}]"


def _prop_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# --------------------------------------------------------------------------------------------
# Pruning of nulls and defaulting
# --------------------------------------------------------------------------------------------


def _sub_schema(schema: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    props = schema.get("properties") or {}
    if key in props:
        return props[key]
    addl = schema.get("additionalProperties")
    return addl if isinstance(addl, Mapping) else None


def apply_defaults(value: Any, schema: Mapping[str, Any] | None) -> Any:
    """Prune non-nullable nulls and apply ``default``s in place; returns the value."""
    if not schema:
        return value
    if isinstance(value, dict):
        for k in list(value):
            sub = _sub_schema(schema, k)
            if value[k] is None and sub is not None and not sub.get("nullable"):
                if "default" in sub:
                    value[k] = copy.deepcopy(sub["default"])
                else:
                    del value[k]
        for k, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, Mapping) and "default" in sub and k not in value:
                value[k] = copy.deepcopy(sub["default"])
        for k, v in value.items():
            sub = _sub_schema(schema, k)
            if sub is not None:
                apply_defaults(v, sub)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for v in value:
                apply_defaults(v, items)
    return value


# --------------------------------------------------------------------------------------------
# Formats (kube-openapi strfmt subset the apiserver validates; unknown formats are ignored)
# --------------------------------------------------------------------------------------------

_HOSTNAME = re.compile(r"^(?=.{1,255}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\.?$")
_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_STRFMT_DURATION = re.compile(r"^(\s*[-+]?\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|"
                              r"milliseconds?|seconds?|minutes?|hours?|days?|weeks?))+\s*$")


def _is_ipv4(s: str) -> bool:
    try:
        ipaddress.IPv4Address(s)
        return True
    except ValueError:
        return False


def _is_ipv6(s: str) -> bool:
    try:
        ipaddress.IPv6Address(s)
        return ":" in s
    except ValueError:
        return False


def _string_format_ok(fmt: str, s: str) -> bool | None:
    """True/False for a known format, None for an unknown (ignored) one."""
    if fmt == "hostname":
        return bool(_HOSTNAME.match(s))
    if fmt in ("ipv4",):
        return _is_ipv4(s)
    if fmt == "ipv6":
        return _is_ipv6(s)
    if fmt == "cidr":
        try:
            ipaddress.ip_network(s, strict=False)
            return "/" in s
        except ValueError:
            return False
    if fmt == "mac":
        return bool(_MAC.match(s))
    if fmt in ("uuid", "uuid3", "uuid4", "uuid5"):
        return bool(_UUID.match(s))
    if fmt in ("uri", "url"):
        return cel._parse_url(s) is not None and ":" in s.split("/", 1)[0]
    if fmt == "email":
        return bool(_EMAIL.match(s))
    if fmt == "byte":
        try:
            base64.b64decode(s, validate=True)
            return True
        except Exception:
            return False
    if fmt == "date-time" or fmt == "datetime":
        return cel.parse_rfc3339(s) is not None
    if fmt == "date":
        return not cel._fmt_date(s)
    if fmt == "duration":
        return cel.parse_go_duration(s) is not None or bool(_STRFMT_DURATION.match(s))
    if fmt == "password":
        return True
    return None


# --------------------------------------------------------------------------------------------
# Patterns: the apiserver uses Go's regexp (RE2); so do we.
# --------------------------------------------------------------------------------------------


def _pattern_search(pattern: str, s: str) -> bool | str:
    try:
        return cel.compile_re2(pattern).search(s) is not None
    except Exception as ex:  # an invalid pattern cannot be in a CRD the apiserver accepted
        return f"invalid pattern {pattern!r}: {ex}"


# --------------------------------------------------------------------------------------------
# The validator
# --------------------------------------------------------------------------------------------

_NUMERIC = (int, float)


class _Validator:
    def __init__(self, *, strict: bool = True, run_cel: bool = True) -> None:
        self.problems: list[Problem] = []
        self.strict = strict
        self.run_cel = run_cel
        self._cel_memo: dict[tuple[int, int], Any] = {}

    def add(self, path: str, message: str, kind: str = "schema", rule: str | None = None) -> None:
        self.problems.append(Problem(path, message, kind, rule))

    # -- value-only check for anyOf/allOf/oneOf/not ------------------------------------------
    def _matches(self, value: Any, schema: Mapping[str, Any], path: str) -> bool:
        sub = _Validator(strict=False, run_cel=False)
        sub.node(value, schema, path, inherited_type=None)
        return not sub.problems

    # -- main recursion ----------------------------------------------------------------------
    def node(self, value: Any, schema: Mapping[str, Any], path: str, *,
             inherited_type: str | None = None, root_like: bool = False) -> bool:
        """Validate ``value``; returns True when the subtree has no type errors."""
        typ = schema.get("type") or inherited_type
        int_or_string = schema.get("x-kubernetes-int-or-string", False)
        preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
        embedded = schema.get("x-kubernetes-embedded-resource", False)

        if value is None:
            if schema.get("nullable"):
                return True
            if typ or int_or_string:
                want = "integer or string" if int_or_string else typ
                self.add(path, f'Invalid value: "null": must be of type {want}')
                return False
            return True

        # type
        if int_or_string:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                self.add(path, f'Invalid value: "{_json_type(value)}": must be of type integer or string: {_show(value)}')
                return False
        elif typ:
            ok = {
                "object": isinstance(value, dict),
                "array": isinstance(value, list),
                "string": isinstance(value, str),
                "boolean": isinstance(value, bool),
                "integer": (isinstance(value, int) and not isinstance(value, bool))
                or (isinstance(value, float) and value.is_integer()),
                "number": isinstance(value, _NUMERIC) and not isinstance(value, bool),
            }.get(typ, True)
            if not ok:
                self.add(path, f'Invalid value: "{_json_type(value)}": must be of type {typ}: {_show(value)}')
                return False

        clean = True
        self._value_checks(value, schema, path, typ)

        # junctors (value validation only)
        for i, sub in enumerate(schema.get("allOf") or []):
            if not self._matches(value, sub, path):
                self.add(path, f"Invalid value: {_show(value)}: must validate all the schemas (allOf); fails schema {i}")
        if schema.get("anyOf"):
            if not any(self._matches(value, sub, path) for sub in schema["anyOf"]):
                self.add(path, f"Invalid value: {_show(value)}: must validate at least one schema (anyOf)")
        if schema.get("oneOf"):
            n = sum(self._matches(value, sub, path) for sub in schema["oneOf"])
            if n != 1:
                self.add(path, f"Invalid value: {_show(value)}: must validate one and only one schema (oneOf). "
                               f"Found {'none' if n == 0 else n} valid alternatives")
        if isinstance(schema.get("not"), Mapping):
            if self._matches(value, schema["not"], path):
                self.add(path, f"Invalid value: {_show(value)}: must not validate the schema (not)")

        # children
        if isinstance(value, dict):
            clean &= self._object(value, schema, path, preserve, embedded)
        elif isinstance(value, list):
            clean &= self._array(value, schema, path)

        if clean and self.run_cel and schema.get("x-kubernetes-validations"):
            self._cel(value, schema, path, root_like=root_like or embedded)
        return clean

    def _value_checks(self, value: Any, schema: Mapping[str, Any], path: str, typ: str | None) -> None:
        if "enum" in schema and schema["enum"] is not None:
            if not any(_json_equal(value, e) for e in schema["enum"]):
                allowed = ", ".join(_show(e) for e in schema["enum"])
                self.add(path, f"Unsupported value: {_show(value)}: supported values: {allowed}")
        if isinstance(value, str):
            n = len(value)  # unicode code points, like utf8.RuneCountInString
            if "maxLength" in schema and n > schema["maxLength"]:
                self.add(path, f"Too long: may not be more than {schema['maxLength']} characters")
            if "minLength" in schema and n < schema["minLength"]:
                self.add(path, f"Invalid value: {_show(value)}: should be at least {schema['minLength']} chars long")
            if schema.get("pattern"):
                ok = _pattern_search(schema["pattern"], value)
                if isinstance(ok, str):
                    self.add(path, ok)
                elif not ok:
                    self.add(path, f"Invalid value: {_show(value)}: should match '{schema['pattern']}'")
            fmt = schema.get("format")
            if fmt and typ == "string" and _string_format_ok(fmt, value) is False:
                self.add(path, f"Invalid value: {_show(value)}: must be of format {fmt}")
        elif isinstance(value, _NUMERIC) and not isinstance(value, bool):
            if "maximum" in schema:
                mx = schema["maximum"]
                if value > mx or (schema.get("exclusiveMaximum") is True and value >= mx):
                    op = "less than" if schema.get("exclusiveMaximum") is True else "less than or equal to"
                    self.add(path, f"Invalid value: {_show(value)}: should be {op} {mx}")
            if "minimum" in schema:
                mn = schema["minimum"]
                if value < mn or (schema.get("exclusiveMinimum") is True and value <= mn):
                    op = "greater than" if schema.get("exclusiveMinimum") is True else "greater than or equal to"
                    self.add(path, f"Invalid value: {_show(value)}: should be {op} {mn}")
            if "multipleOf" in schema and schema["multipleOf"]:
                q = value / schema["multipleOf"]
                if q != int(q):
                    self.add(path, f"Invalid value: {_show(value)}: should be a multiple of {schema['multipleOf']}")
            fmt = schema.get("format")
            rng = {"int32": _INT32, "int64": _INT64, "uint32": _UINT32}.get(fmt or "")
            if rng and typ == "integer" and not rng[0] <= value <= rng[1]:
                self.add(path, f"Invalid value: {_show(value)}: must be of format {fmt}")
        elif isinstance(value, list):
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                self.add(path, f"Too many: {len(value)}: must have at most {schema['maxItems']} items")
            if "minItems" in schema and len(value) < schema["minItems"]:
                self.add(path, f"Invalid value: {len(value)}: should have at least {schema['minItems']} items")
        elif isinstance(value, dict):
            if "maxProperties" in schema and len(value) > schema["maxProperties"]:
                self.add(path, f"Too many: {len(value)}: must have at most {schema['maxProperties']} properties")
            if "minProperties" in schema and len(value) < schema["minProperties"]:
                self.add(path, f"Invalid value: {len(value)}: should have at least {schema['minProperties']} properties")

    def _object(self, value: dict, schema: Mapping[str, Any], path: str, preserve: bool, embedded: bool) -> bool:
        clean = True
        props = schema.get("properties") or {}
        addl = schema.get("additionalProperties")
        for req in schema.get("required") or []:
            if req not in value:
                self.add(_prop_path(path, req), "Required value")
        if embedded:
            for req in ("apiVersion", "kind"):
                if not isinstance(value.get(req), str) or not value.get(req):
                    self.add(_prop_path(path, req), "Required value: must not be empty")
            if isinstance(value.get("metadata"), dict):
                validate_metadata(value["metadata"], _prop_path(path, "metadata"), self.problems,
                                  require_name=False)
        for k, v in value.items():
            if k in props:
                clean &= self.node(v, props[k], _prop_path(path, k))
            elif isinstance(addl, Mapping):
                clean &= self.node(v, addl, _key_path(path, k))
            elif addl is True or preserve:
                continue
            elif embedded and k in ("apiVersion", "kind", "metadata"):
                continue
            elif self.strict:
                self.add(_prop_path(path, k), f'unknown field "{_prop_path(path, k)}"')
        return clean

    def _array(self, value: list, schema: Mapping[str, Any], path: str) -> bool:
        clean = True
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, v in enumerate(value):
                clean &= self.node(v, items, f"{path}[{i}]")
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set":
            seen: list[Any] = []
            for i, v in enumerate(value):
                if any(_json_equal(v, s) for s in seen):
                    self.add(f"{path}[{i}]", f"Duplicate value: {_show(v)}")
                else:
                    seen.append(v)
        elif list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen_keys: dict[str, int] = {}
            for i, v in enumerate(value):
                if not isinstance(v, dict):
                    continue
                key = _show({k: v.get(k) for k in keys})
                if key in seen_keys:
                    self.add(f"{path}[{i}]", f"Duplicate value: {key}")
                else:
                    seen_keys[key] = i
        return clean

    # -- CEL ----------------------------------------------------------------------------------
    def _cel_value(self, value: Any, schema: Mapping[str, Any], root_like: bool) -> Any:
        key = (id(value), id(schema))
        hit = self._cel_memo.get(key)
        if hit is None:
            hit = cel.to_cel(value, schema)
            if root_like and isinstance(value, dict):
                # Only apiVersion, kind, metadata.name and metadata.generateName are visible.
                meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
                visible = {k: meta[k] for k in ("name", "generateName") if isinstance(meta.get(k), str)}
                hit[ct.StringType("metadata")] = cel.to_cel(visible, {})
            self._cel_memo[key] = hit
        return hit

    def _cel(self, value: Any, schema: Mapping[str, Any], path: str, *, root_like: bool) -> None:
        self_value = None
        for rule in schema.get("x-kubernetes-validations") or []:
            text = rule.get("rule", "")
            try:
                compiled = cel.compile_rule(text)
            except cel.CELCompileError as ex:
                self.add(path, f"rule cannot be compiled: {ex}: {text}", "cel-error", text)
                continue
            variables: dict[str, Any] = {}
            if compiled.uses_old_self:
                if not rule.get("optionalOldSelf"):
                    continue  # transition rule: not evaluated on create
                variables["oldSelf"] = cel.Optional.none()
            if self_value is None:
                self_value = self._cel_value(value, schema, root_like)
            variables["self"] = self_value
            try:
                result = compiled.evaluate(variables)
            except CELEvalError as ex:
                self.add(path, f"rule evaluation error: {_eval_error_text(ex)}: {text}", "cel-error", text)
                continue
            except Exception as ex:  # a bug in a library function must not pass a rule silently
                self.add(path, f"rule evaluation error: {type(ex).__name__}: {ex}: {text}", "cel-error", text)
                continue
            if not isinstance(result, ct.BoolType):
                self.add(path, f"rule did not evaluate to a bool ({type(result).__name__}): {text}",
                         "cel-error", text)
                continue
            if result:
                continue
            message = rule.get("message") or ""
            if rule.get("messageExpression"):
                try:
                    m = cel.compile_rule(rule["messageExpression"]).evaluate(variables)
                    if isinstance(m, str) and m.strip() and "\n" not in m:
                        message = str(m)
                except Exception:
                    pass
            if not message:
                message = f"failed rule: {text}"
            field = path + _field_path_suffix(rule.get("fieldPath") or "")
            reason = rule.get("reason")
            prefix = _CEL_REASON_PREFIXES.get(reason) if isinstance(reason, str) else None
            if prefix is None:
                prefix = f'Invalid value: "{_json_type(value)}"'
            self.add(field, f"{prefix}: {message}", "cel", text)


#: How the message of a failed rule starts, by the rule's ``reason``; any other reason is FieldValueInvalid
#: (``Invalid value: "<JSON type>"``), as the apiserver's field errors.
_CEL_REASON_PREFIXES = {"FieldValueRequired": "Required value", "FieldValueForbidden": "Forbidden",
                        "FieldValueDuplicate": "Duplicate value"}


def _eval_error_text(ex: CELEvalError) -> str:
    if ex.args and isinstance(ex.args[0], str):
        return ex.args[0]
    return str(ex)


_FP_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[(\d+)\]")


def _field_path_suffix(fp: str) -> str:
    out, pos = [], 0
    while pos < len(fp):
        m = _FP_TOKEN.match(fp, pos)
        if not m:
            return fp if fp.startswith(".") else "." + fp
        if m.group(1) is not None:
            out.append("." + m.group(1))
        elif m.group(2) is not None:
            out.append(f"[{m.group(2)}]")
        else:
            out.append(f"[{m.group(3)}]")
        pos = m.end()
    return "".join(out)


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, _NUMERIC) and isinstance(b, _NUMERIC):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    return a == b


# --------------------------------------------------------------------------------------------
# metadata
# --------------------------------------------------------------------------------------------

_OBJECT_META_FIELDS = {
    "name", "generateName", "namespace", "labels", "annotations", "finalizers", "ownerReferences",
    "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "managedFields", "selfLink",
}


def validate_metadata(meta: Any, path: str, problems: list[Problem], *, require_name: bool = True,
                      namespaced: bool | None = None) -> None:
    if not isinstance(meta, dict):
        problems.append(Problem(path, f'Invalid value: "{_json_type(meta)}": must be of type object', "schema"))
        return
    for k in meta:
        if k not in _OBJECT_META_FIELDS:
            problems.append(Problem(f"{path}.{k}", f'unknown field "{path}.{k}"', "schema"))
    name = meta.get("name")
    if name is None or name == "":
        if require_name and not meta.get("generateName"):
            problems.append(Problem(f"{path}.name", "Required value: name or generateName is required", "schema"))
    elif not isinstance(name, str):
        problems.append(Problem(f"{path}.name", f'Invalid value: "{_json_type(name)}": must be of type string', "schema"))
    else:
        for e in cel.dns1123_subdomain_errors(name):
            problems.append(Problem(f"{path}.name", f"Invalid value: {_show(name)}: {e}", "schema"))
    ns = meta.get("namespace")
    if ns is not None:
        if not isinstance(ns, str):
            problems.append(Problem(f"{path}.namespace", "Invalid value: must be of type string", "schema"))
        elif namespaced is False and ns:
            pass  # the apiserver ignores the namespace of cluster-scoped objects in a manifest
        elif ns:
            for e in cel.dns1123_label_errors(ns):
                problems.append(Problem(f"{path}.namespace", f"Invalid value: {_show(ns)}: {e}", "schema"))
    for field in ("labels", "annotations"):
        m = meta.get(field)
        if m is None:
            continue
        if not isinstance(m, dict):
            problems.append(Problem(f"{path}.{field}", f'Invalid value: "{_json_type(m)}": must be of type object', "schema"))
            continue
        for k, v in m.items():
            kp = f"{path}.{field}[{k}]"
            if not isinstance(v, str):
                problems.append(Problem(kp, f'Invalid value: "{_json_type(v)}": must be of type string: {_show(v)}', "schema"))
                continue
            for e in cel.qualified_name_errors(str(k)):
                problems.append(Problem(kp, f"Invalid value: {_show(k)}: {e}", "schema"))
            if field == "labels":
                for e in cel.label_value_errors(v):
                    problems.append(Problem(kp, f"Invalid value: {_show(v)}: {e}", "schema"))
    if isinstance(meta.get("annotations"), dict):
        total = sum(len(str(k)) + len(v) for k, v in meta["annotations"].items() if isinstance(v, str))
        if total > 256 * 1024:
            problems.append(Problem(f"{path}.annotations", "Too long: must have at most 262144 bytes", "schema"))


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def _plain(v: Any) -> Any:
    """A plain-JSON deep copy (the loader's position-aware dict/list subclasses become dict/list)."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def validate_custom_resource(obj: Mapping[str, Any], schema: Mapping[str, Any], *,
                             has_status_subresource: bool, namespaced: bool) -> list[Problem]:
    """Validate one custom resource against its version's openAPIV3Schema."""
    value = _plain(obj)
    if has_status_subresource:
        value.pop("status", None)
    problems: list[Problem] = []
    validate_metadata(value.get("metadata"), "metadata", problems, namespaced=namespaced)
    apply_defaults(value, schema)
    v = _Validator()
    # apiVersion/kind/metadata are checked by the apiserver itself (metadata above); the
    # metadata stays in the value so that root rules see metadata.name/generateName.
    root_schema = dict(schema)
    props = dict(root_schema.get("properties") or {})
    props["metadata"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    root_schema["properties"] = props
    v.node(value, root_schema, "", root_like=True)
    problems.extend(v.problems)
    return problems
