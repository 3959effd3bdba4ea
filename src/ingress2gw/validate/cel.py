"""CEL for ``x-kubernetes-validations``: cel-python (``celpy``) plus the Kubernetes CEL libraries.

celpy provides the grammar, the runtime types and the interpreter.  This module adds what
Kubernetes rules need on top of it:

* the *optional* syntax (``a.?b``, ``m[?k]``, ``optional.of/none/ofNonZeroValue``,
  ``.hasValue()``, ``.value()``, ``.orValue()``, ``.or()``) -- the celpy grammar is extended at
  run time with two productions and the interpreter gets matching methods;
* the Kubernetes libraries: strings ext, lists, regex, URLs, IP/CIDR, quantity, Go-style
  ``duration()``, and the ``format`` library (Kubernetes 1.31+);
* a static *compile check* (every function, method and identifier used by a rule must be
  known), because celpy only binds functions when it evaluates.

Public entry points: :func:`compile_rule` (cached per rule text), :class:`CompiledRule`,
:func:`to_cel` (schema-aware conversion of JSON values), :class:`CELCompileError`.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import re
import threading
import urllib.parse
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import celpy
import celpy.celparser
import celpy.celtypes as ct
import lark
import re2
from celpy.evaluation import Activation, CELEvalError, Evaluator

__all__ = [
    "CELCompileError",
    "CompiledRule",
    "Optional",
    "compile_rule",
    "to_cel",
    "FUNCTIONS",
]


class CELCompileError(Exception):
    """A rule that cannot be parsed or refers to an unknown function or identifier."""


# --------------------------------------------------------------------------------------------
# Grammar: celpy's grammar + optional field selection / optional index.
# --------------------------------------------------------------------------------------------

_MEMBER_RULE = "member         : member_dot | member_dot_arg | member_index | member_object | primary"


def _grammar() -> str:
    text = (Path(celpy.__file__).parent / "cel.lark").read_text()
    if _MEMBER_RULE not in text:  # pragma: no cover - guards against a celpy grammar change
        raise RuntimeError("unexpected celpy grammar: cannot add optional syntax")
    text = text.replace(
        _MEMBER_RULE,
        _MEMBER_RULE + " | member_dot_opt | member_index_opt\n"
        'member_dot_opt : member ".?" IDENT\n'
        'member_index_opt : member "[" "?" expr "]"',
    )
    return text


_parser_lock = threading.Lock()
_PARSER: lark.Lark | None = None


def _parser() -> lark.Lark:
    global _PARSER
    with _parser_lock:
        if _PARSER is None:
            _PARSER = lark.Lark(
                _grammar(),
                parser="lalr",
                start="expr",
                g_regex_flags=re.M,
                lexer_callbacks={"IDENT": celpy.celparser.CELParser.ambiguous_literals},
                propagate_positions=True,
                maybe_placeholders=False,
                priority="invert",
            )
        return _PARSER


def parse(text: str) -> lark.Tree:
    try:
        return _parser().parse(text)
    except lark.exceptions.LarkError as ex:
        msg = str(ex).strip().splitlines()
        raise CELCompileError(f"syntax error: {msg[0] if msg else ex}") from None


# --------------------------------------------------------------------------------------------
# Optional values and namespaces
# --------------------------------------------------------------------------------------------


class Optional:
    """CEL ``optional_type`` value."""

    __slots__ = ("_value", "_present")

    def __init__(self, value: Any = None, present: bool = False) -> None:
        self._value = value
        self._present = present

    @classmethod
    def of(cls, value: Any) -> "Optional":
        return cls(value, True)

    @classmethod
    def none(cls) -> "Optional":
        return cls(None, False)

    def has_value(self) -> bool:
        return self._present

    def get(self) -> Any:
        return self._value

    def __eq__(self, other: Any) -> bool:  # type: ignore[override]
        if isinstance(other, Optional):
            if self._present != other._present:
                return False
            return not self._present or bool(self._value == other._value)
        if other is None:
            # An absent optional compares equal to null (what rules such as
            # ``format.dns1123Label().validate(self) == null`` are written to mean).
            return not self._present
        return False

    def __ne__(self, other: Any) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((self._present, self._value if self._present else None))

    def __repr__(self) -> str:
        return f"optional.of({self._value!r})" if self._present else "optional.none()"


class _Namespace:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


OPTIONAL_NS = _Namespace("optional")
FORMAT_NS = _Namespace("format")
_NAMESPACES = {"optional": OPTIONAL_NS, "format": FORMAT_NS}
_TYPE_NAMES: dict[str, Any] = {
    "int": ct.IntType, "uint": ct.UintType, "double": ct.DoubleType, "bool": ct.BoolType,
    "string": ct.StringType, "bytes": ct.BytesType, "list": ct.ListType, "map": ct.MapType,
    "null_type": type(None), "duration": ct.DurationType, "timestamp": ct.TimestampType,
    "type": ct.TypeType,
}


def _zero(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (ct.BoolType, ct.IntType, ct.UintType, ct.DoubleType)):
        return not bool(v)
    if isinstance(v, (str, bytes, list, dict)):
        return len(v) == 0
    if isinstance(v, datetime.timedelta):
        return v == datetime.timedelta(0)
    return False


# --------------------------------------------------------------------------------------------
# Interpreter
# --------------------------------------------------------------------------------------------


def _select(value: Any, name: str, tree: lark.Tree | None = None) -> Any:
    """Field selection on a map value: the value, or a CELEvalError."""
    if isinstance(value, CELEvalError):
        return value
    if isinstance(value, ct.MapType):
        try:
            return value[ct.StringType(name)]
        except KeyError:
            return CELEvalError(f"no such key: {name!r}", KeyError, None, tree=tree)
    return CELEvalError(f"type {type(value).__name__} does not support field selection", TypeError, None, tree=tree)


def _single_child(tree: Any) -> Any:
    """Descend through the single-child wrapper nodes of the grammar."""
    while isinstance(tree, lark.Tree) and len(tree.children) == 1 and tree.data not in (
        "member_dot", "member_dot_opt", "ident",
    ):
        tree = tree.children[0]
    return tree


_MACROS = {"all", "exists", "exists_one", "map", "filter"}


class K8sEvaluator(Evaluator):
    """celpy's interpreter with optional values, namespaces and stricter macros."""

    def sub_evaluator(self, ast: lark.Tree) -> "K8sEvaluator":
        return K8sEvaluator(ast, activation=self.activation)

    # -- field selection ---------------------------------------------------------------------
    def member_dot(self, tree: lark.Tree) -> Any:
        member_tree, name_token = tree.children
        member = self.visit(member_tree)
        name = name_token.value
        if isinstance(member, Optional):
            # Selection on an optional propagates the optional (optional chaining).
            if not member.has_value():
                return member
            inner = _select(member.get(), name, tree)
            return Optional.none() if isinstance(inner, CELEvalError) else Optional.of(inner)
        if isinstance(member, ct.MapType):
            return _select(member, name, tree)
        return super().member_dot(tree)

    def member_dot_opt(self, tree: lark.Tree) -> Any:
        member_tree, name_token = tree.children
        return self._select_optional(tree, self.visit(member_tree), ct.StringType(name_token.value), index=False)

    def member_index_opt(self, tree: lark.Tree) -> Any:
        operands = self._operands(tree)
        if isinstance(operands, CELEvalError):
            return operands
        return self._select_optional(tree, *operands, index=True)

    def _operands(self, tree: lark.Tree) -> list[Any] | CELEvalError:
        """The values of an index expression's target and index (both visited), or the first error among them."""
        values = [self.visit(child) for child in tree.children]
        return next((v for v in values if isinstance(v, CELEvalError)), values)

    def _select_optional(self, tree: lark.Tree, member: Any, key: Any, *, index: bool) -> Any:
        """``member.?key`` (``index`` false) or ``member[?key]``: an optional of the selected value, empty when
        there is none; selection on an optional propagates it."""
        if isinstance(member, CELEvalError):
            return member
        if isinstance(member, Optional):
            if not member.has_value():
                return member
            member = member.get()
        if isinstance(member, ct.MapType):
            return Optional.of(member[key]) if key in member else Optional.none()
        if not index:
            return CELEvalError(f"type {type(member).__name__} does not support field selection", TypeError, None,
                                tree=tree)
        if isinstance(member, ct.ListType) and isinstance(key, ct.IntType):
            return Optional.of(member[int(key)]) if 0 <= int(key) < len(member) else Optional.none()
        return CELEvalError("no such overload for optional index", TypeError, None, tree=tree)

    def member_index(self, tree: lark.Tree) -> Any:
        operands = self._operands(tree)
        if isinstance(operands, CELEvalError):
            return operands
        member, index = operands
        if isinstance(member, ct.ListType):
            if not isinstance(index, (ct.IntType, ct.UintType)) or isinstance(index, ct.BoolType):
                return CELEvalError("no such overload: list index must be int", TypeError, None, tree=tree)
            i = int(index)
            if not 0 <= i < len(member):
                return CELEvalError(f"index out of bounds: {i}", IndexError, None, tree=tree)
            return member[i]
        return super().member_index(tree)

    # -- identifiers -------------------------------------------------------------------------
    def primary(self, tree: lark.Tree) -> Any:
        child = tree.children[0] if tree.children else None
        if isinstance(child, lark.Tree) and child.data == "ident":
            name = child.children[0].value
            try:
                return self.activation.identifiers.resolve_name(self.activation.package, name).value
            except KeyError:
                pass
            if name in _NAMESPACES:
                return _NAMESPACES[name]
            if name in _TYPE_NAMES:
                return _TYPE_NAMES[name]
        return super().primary(tree)

    # -- has() -------------------------------------------------------------------------------
    def macro_has_eval(self, exprlist: lark.Tree) -> Any:
        target = _single_child(exprlist.children[0]) if exprlist.children else None
        if not (isinstance(target, lark.Tree) and target.data == "member_dot"):
            return CELEvalError("invalid argument to has() macro", ValueError, None, tree=exprlist)
        operand_tree, name_token = target.children
        operand = self.visit(operand_tree)
        name = ct.StringType(name_token.value)
        if isinstance(operand, CELEvalError):
            return operand
        if isinstance(operand, Optional):
            if not operand.has_value():
                return ct.BoolType(False)
            operand = operand.get()
        if isinstance(operand, ct.MapType):
            return ct.BoolType(name in operand)
        return CELEvalError(f"has() on {type(operand).__name__}", TypeError, None, tree=exprlist)

    # -- macros and methods ------------------------------------------------------------------
    def member_dot_arg(self, tree: lark.Tree) -> Any:
        method = tree.children[1].value
        if method in _MACROS and len(tree.children) == 3:
            args = tree.children[2]
            if len(args.children) == 2:
                return self._macro(tree, method)
        if method == "min" or method == "reduce":
            # celpy treats these as macros; in Kubernetes ``min`` is an ordinary list function.
            return self._method(tree)
        return super().member_dot_arg(tree)

    def _method(self, tree: lark.Tree) -> Any:
        values = self.visit_children(tree)
        target, ident = values[0], values[1]
        args = values[2] if len(values) > 2 else []
        return self.method_eval(target, ident, args)

    def _macro(self, tree: lark.Tree, method: str) -> Any:
        target = self.visit(tree.children[0])
        if isinstance(target, CELEvalError):
            return target
        if isinstance(target, ct.MapType):
            items: list[Any] = list(target.keys())
        elif isinstance(target, ct.ListType):
            items = list(target)
        else:
            return CELEvalError(f"{method}() needs a list or map", TypeError, None, tree=tree)
        var_tree, expr_tree = tree.children[2].children
        idents = list(var_tree.find_data("ident"))
        if len(idents) != 1:
            return CELEvalError(f"{method}(): first argument must be a variable", ValueError, None, tree=tree)
        var = idents[0].children[0].value
        nested = self.sub_evaluator(expr_tree)

        def call(v: Any) -> Any:
            try:
                return nested.evaluate({var: v})
            except CELEvalError as ex:
                return ex

        if method in ("map", "filter", "exists_one"):
            # Every item is evaluated, in order; the first error (or non-bool predicate) is the result.
            results = []
            for it in items:
                r = call(it)
                if isinstance(r, CELEvalError):
                    return r
                if method != "map" and not isinstance(r, ct.BoolType):
                    return CELEvalError(f"{method}() predicate must be bool", TypeError, None, tree=tree)
                results.append(r)
            if method == "map":
                return ct.ListType(results)
            if method == "filter":
                return ct.ListType([it for it, r in zip(items, results) if r])
            return ct.BoolType(sum(map(bool, results)) == 1)
        # all / exists: short-circuit, errors only matter when no decisive value was found.
        decisive = method == "exists"  # exists stops at true, all stops at false
        err: Any = None
        for it in items:
            r = call(it)
            if isinstance(r, ct.BoolType):
                if bool(r) == decisive:
                    return ct.BoolType(decisive)
            elif isinstance(r, CELEvalError):
                err = err or r
            else:
                err = err or CELEvalError(f"{method}() predicate must be bool", TypeError, None, tree=tree)
        return err if err is not None else ct.BoolType(not decisive)


# --------------------------------------------------------------------------------------------
# Kubernetes CEL libraries
# --------------------------------------------------------------------------------------------


def _err(msg: str) -> CELEvalError:
    return CELEvalError(msg, ValueError, None)


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise TypeError(f"no such overload: {what}")


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, ct.IntType) and not isinstance(v, ct.BoolType)


# -- strings (cel-go ext/strings, Kubernetes "strings" library) --------------------------------


def f_charAt(s: str, i: Any) -> Any:
    _need(_is_str(s) and _is_int(i), "charAt")
    i = int(i)
    if i < 0 or i > len(s):
        return _err(f"index out of range: {i}")
    return ct.StringType(s[i:i + 1])


def _list_index(items: Any, sub: Any, positions: Iterable[int]) -> Any:
    """The first of ``positions`` at which ``items`` holds ``sub`` (CEL equality), or -1."""
    return ct.IntType(next((i for i in positions if _cel_equal(items[i], sub)), -1))


def f_indexOf(x: Any, sub: Any, start: Any = None) -> Any:
    if isinstance(x, ct.ListType):
        return _list_index(x, sub, range(len(x)))
    _need(_is_str(x) and _is_str(sub), "indexOf")
    begin = 0 if start is None else int(start)
    if begin < 0 or begin > len(x):
        return _err(f"index out of range: {begin}")
    return ct.IntType(x.find(sub, begin))


def f_lastIndexOf(x: Any, sub: Any, start: Any = None) -> Any:
    if isinstance(x, ct.ListType):
        return _list_index(x, sub, range(len(x) - 1, -1, -1))
    _need(_is_str(x) and _is_str(sub), "lastIndexOf")
    if start is None:
        return ct.IntType(x.rfind(sub))
    end = int(start)
    if end < 0 or end > len(x):
        return _err(f"index out of range: {end}")
    return ct.IntType(x.rfind(sub, 0, end + len(sub)))


def _ascii_map(s: str, upper: bool) -> str:
    return "".join(
        (c.upper() if upper else c.lower()) if ("a" <= c <= "z" or "A" <= c <= "Z") else c for c in s
    )


def f_lowerAscii(s: str) -> Any:
    _need(_is_str(s), "lowerAscii")
    return ct.StringType(_ascii_map(s, False))


def f_upperAscii(s: str) -> Any:
    _need(_is_str(s), "upperAscii")
    return ct.StringType(_ascii_map(s, True))


def f_replace(s: str, old: str, new: str, n: Any = None) -> Any:
    _need(_is_str(s) and _is_str(old) and _is_str(new), "replace")
    count = -1 if n is None else int(n)
    if count < 0:
        return ct.StringType(s.replace(old, new))
    return ct.StringType(s.replace(old, new, count))


def f_split(s: str, sep: str, n: Any = None) -> Any:
    _need(_is_str(s) and _is_str(sep), "split")
    limit = -1 if n is None else int(n)
    if limit == 0:
        return ct.ListType([])
    if sep == "":
        parts = list(s)
        if limit > 0 and len(parts) > limit:
            parts = parts[: limit - 1] + ["".join(parts[limit - 1:])]
    else:
        parts = s.split(sep) if limit < 0 else s.split(sep, limit - 1)
    return ct.ListType([ct.StringType(p) for p in parts])


def f_substring(s: str, start: Any, end: Any = None) -> Any:
    _need(_is_str(s) and _is_int(start), "substring")
    b = int(start)
    e = len(s) if end is None else int(end)
    if b < 0 or b > len(s) or e < 0 or e > len(s) or b > e:
        return _err(f"substring out of range: [{b}:{e}] of length {len(s)}")
    return ct.StringType(s[b:e])


def f_trim(s: str) -> Any:
    _need(_is_str(s), "trim")
    return ct.StringType(s.strip())


def f_join(lst: Any, sep: Any = "") -> Any:
    _need(isinstance(lst, ct.ListType) and all(_is_str(v) for v in lst) and _is_str(sep), "join")
    return ct.StringType(sep.join(lst))


def f_reverse(s: Any) -> Any:
    if isinstance(s, ct.ListType):
        return ct.ListType(list(reversed(s)))
    _need(_is_str(s), "reverse")
    return ct.StringType(s[::-1])


def _fmt_value(v: Any, verb: str) -> str:
    if verb == "s":
        if isinstance(v, ct.BoolType):
            return "true" if v else "false"
        if v is None:
            return "null"
        if isinstance(v, ct.ListType):
            return "[" + ", ".join(_fmt_value(x, "s") for x in v) + "]"
        if isinstance(v, ct.MapType):
            return "{" + ", ".join(f"{_fmt_value(k, 's')}: {_fmt_value(x, 's')}" for k, x in v.items()) + "}"
        if isinstance(v, datetime.timedelta):
            return _go_duration_str(v)
        if isinstance(v, ct.DoubleType):
            return repr(float(v))
        return str(v)
    if verb == "d":
        _need(isinstance(v, (ct.IntType, ct.UintType)), "format %d")
        return str(int(v))
    if verb in "fe":
        return ("%" + verb) % float(v)
    if verb == "x":
        if isinstance(v, str):
            return v.encode().hex()
        return "%x" % int(v)
    if verb == "X":
        if isinstance(v, str):
            return v.encode().hex().upper()
        return "%X" % int(v)
    if verb == "o":
        return "%o" % int(v)
    if verb == "b":
        return format(int(v), "b") if not isinstance(v, ct.BoolType) else ("true" if v else "false")
    raise TypeError(f"unknown format verb %{verb}")


def f_format(s: str, args: Any) -> Any:
    _need(_is_str(s) and isinstance(args, ct.ListType), "format")
    out, i, ai = [], 0, 0
    while i < len(s):
        c = s[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 < len(s) and s[i + 1] == "%":
            out.append("%")
            i += 2
            continue
        m = re.compile(r"%(?:\.(\d+))?([sdfeExXob])").match(s, i)
        if not m:
            return _err(f"invalid format string at {i}")
        if ai >= len(args):
            return _err("too few arguments for format string")
        prec, verb = m.group(1), m.group(2)
        v = args[ai]
        ai += 1
        if verb in "fe" and prec is not None:
            out.append(("%." + prec + verb) % float(v))
        else:
            out.append(_fmt_value(v, verb.lower() if verb == "E" else verb))
        i = m.end()
    return ct.StringType("".join(out))


def f_quote(s: str) -> Any:
    _need(_is_str(s), "strings.quote")
    import json

    return ct.StringType(json.dumps(s, ensure_ascii=False))


# -- regex -------------------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def compile_re2(pattern: str) -> Any:
    return re2.compile(pattern)


def f_matches(s: str, pattern: str) -> Any:
    _need(_is_str(s) and _is_str(pattern), "matches")
    try:
        return ct.BoolType(compile_re2(pattern).search(s) is not None)
    except re2.error as ex:
        return _err(f"invalid regex {pattern!r}: {ex}")


def f_find(s: str, pattern: str) -> Any:
    _need(_is_str(s) and _is_str(pattern), "find")
    m = compile_re2(pattern).search(s)
    return ct.StringType(m.group(0) if m else "")


def f_findAll(s: str, pattern: str, n: Any = None) -> Any:
    _need(_is_str(s) and _is_str(pattern), "findAll")
    limit = -1 if n is None else int(n)
    out = [ct.StringType(m.group(0)) for m in compile_re2(pattern).finditer(s)]
    if limit >= 0:
        out = out[:limit]
    return ct.ListType(out)


# -- lists -------------------------------------------------------------------------------------


def _cel_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except TypeError:
        return False


def _comparable(lst: Any) -> list[Any]:
    _need(isinstance(lst, ct.ListType), "list function")
    return list(lst)


def f_isSorted(lst: Any) -> Any:
    items = _comparable(lst)
    return ct.BoolType(all(not (items[i + 1] < items[i]) for i in range(len(items) - 1)))


def f_sum(lst: Any) -> Any:
    items = _comparable(lst)
    if not items:
        return ct.IntType(0)
    total = items[0]
    for v in items[1:]:
        total = total + v
    return total


def f_min(lst: Any, *more: Any) -> Any:
    items = _comparable(lst) if not more else [lst, *more]
    if not items:
        return _err("min called on an empty list")
    return min(items)


def f_max(lst: Any, *more: Any) -> Any:
    items = _comparable(lst) if not more else [lst, *more]
    if not items:
        return _err("max called on an empty list")
    return max(items)


def f_slice(lst: Any, start: Any, end: Any) -> Any:
    _need(isinstance(lst, ct.ListType), "slice")
    b, e = int(start), int(end)
    if b < 0 or e > len(lst) or b > e:
        return _err("slice out of range")
    return ct.ListType(lst[b:e])


def f_flatten(lst: Any, depth: Any = 1) -> Any:
    _need(isinstance(lst, ct.ListType), "flatten")
    out: list[Any] = []
    for v in lst:
        if isinstance(v, ct.ListType) and int(depth) > 0:
            out.extend(f_flatten(v, int(depth) - 1))
        else:
            out.append(v)
    return ct.ListType(out)


def f_distinct(lst: Any) -> Any:
    _need(isinstance(lst, ct.ListType), "distinct")
    out: list[Any] = []
    for v in lst:
        if not any(_cel_equal(v, o) for o in out):
            out.append(v)
    return ct.ListType(out)


# -- optional ------------------------------------------------------------------------------------


def f_of(ns: Any, v: Any) -> Any:
    _need(ns is OPTIONAL_NS, "of")
    return Optional.of(v)


def f_none(ns: Any) -> Any:
    _need(ns is OPTIONAL_NS, "none")
    return Optional.none()


def f_ofNonZeroValue(ns: Any, v: Any) -> Any:
    _need(ns is OPTIONAL_NS, "ofNonZeroValue")
    return Optional.none() if _zero(v) else Optional.of(v)


def f_hasValue(o: Any) -> Any:
    _need(isinstance(o, Optional), "hasValue")
    return ct.BoolType(o.has_value())


def f_value(o: Any) -> Any:
    _need(isinstance(o, Optional), "value")
    if not o.has_value():
        return _err("optional.none() dereference")
    return o.get()


def f_orValue(o: Any, default: Any) -> Any:
    _need(isinstance(o, Optional), "orValue")
    return o.get() if o.has_value() else default


def f_or(o: Any, other: Any) -> Any:
    _need(isinstance(o, Optional) and isinstance(other, Optional), "or")
    return o if o.has_value() else other


# -- values of the library types (url, ip, cidr, quantity) ---------------------------------------


class _LibraryValue:
    """A value of a Kubernetes library type. Its fields are the class's ``__slots__``, given to the constructor in
    that order. Two values of the type are equal when their ``_key()`` is; a value prints as the call that makes
    it, ``<_function>(<repr of _text()>)``. Both are the first field unless the type says otherwise."""

    __slots__ = ()
    _function = ""

    def __init__(self, *fields: Any) -> None:
        for name, value in zip(self.__slots__, fields, strict=True):
            setattr(self, name, value)

    def _key(self) -> Any:
        return getattr(self, self.__slots__[0])

    _text = _key  # the first field too, whatever a subclass makes its _key

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, type(self)) and other._key() == self._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"{self._function}({self._text()!r})"


def _from_string(name: str, test: str, parse: Callable[[str], Any], error: str,
                 make: Callable[[Any], Any] = lambda v: v) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The functions ``<name>(string)`` and ``<test>(string)`` of a library type: the value ``make`` builds from
    what ``parse`` reads (the error ``error``, formatted with the string, when it reads None), and whether it
    reads one."""

    def convert(s: Any) -> Any:
        _need(_is_str(s), name)
        parsed = parse(s)
        return _err(error.format(s)) if parsed is None else make(parsed)

    def check(s: Any) -> Any:
        _need(_is_str(s), test)
        return ct.BoolType(parse(s) is not None)

    convert.__name__, check.__name__ = name, test
    return convert, check


# -- URLs (Kubernetes "url" library; Go's url.ParseRequestURI semantics) -------------------------


class URL(_LibraryValue):
    """``raw``: the URL as written; ``parts``: its ``urllib.parse.SplitResult``."""

    __slots__ = ("raw", "parts")
    _function = "url"


_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")


def _parse_url(s: str) -> URL | None:
    """Go's ``url.ParseRequestURI``: an absolute URI or an absolute path, no fragment."""
    if not isinstance(s, str) or s == "" or any(ord(c) < 0x20 or ord(c) == 0x7F for c in s) or " " in s:
        return None
    if "#" in s:
        return None
    if s.startswith("/"):
        if s.startswith("//"):
            pass  # Go parses //host/path as authority only with a scheme; ParseRequestURI keeps it a path
        try:
            return URL(s, urllib.parse.urlsplit(s))
        except ValueError:
            return None
    if ":" not in s:
        return None
    scheme = s.split(":", 1)[0]
    if not _SCHEME_RE.match(scheme):
        return None
    try:
        parts = urllib.parse.urlsplit(s)
        _ = parts.port  # validates the port
    except ValueError:
        return None
    rest = s[len(scheme) + 1:]
    if not rest.startswith("/") and parts.netloc == "":
        # opaque URI such as mailto:x is accepted by Go; "scheme:" alone too.
        pass
    return URL(s, parts)


f_url, f_isURL = _from_string("url", "isURL", _parse_url, "URL parse error during conversion from string: {!r}")


def f_getScheme(u: Any) -> Any:
    _need(isinstance(u, URL), "getScheme")
    return ct.StringType(u.parts.scheme)


def f_getHost(u: Any) -> Any:
    _need(isinstance(u, URL), "getHost")
    netloc = u.parts.netloc
    return ct.StringType(netloc.rsplit("@", 1)[-1])


def f_getHostname(u: Any) -> Any:
    _need(isinstance(u, URL), "getHostname")
    host = u.parts.netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return ct.StringType(host[1:host.index("]")] if "]" in host else host[1:])
    return ct.StringType(host.rsplit(":", 1)[0] if ":" in host else host)


def f_getPort(u: Any) -> Any:
    _need(isinstance(u, URL), "getPort")
    host = u.parts.netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        tail = host[host.find("]") + 1:]
        return ct.StringType(tail[1:] if tail.startswith(":") else "")
    return ct.StringType(host.rsplit(":", 1)[1] if ":" in host else "")


def f_getEscapedPath(u: Any) -> Any:
    _need(isinstance(u, URL), "getEscapedPath")
    return ct.StringType(u.parts.path)


def f_getQuery(u: Any) -> Any:
    _need(isinstance(u, URL), "getQuery")
    q = urllib.parse.parse_qs(u.parts.query, keep_blank_values=True)
    return ct.MapType({ct.StringType(k): ct.ListType([ct.StringType(x) for x in v]) for k, v in q.items()})


# -- IP / CIDR (Kubernetes "ip" and "cidr" libraries) -------------------------------------------


class IP(_LibraryValue):
    """``addr``: an ``ipaddress.IPv4Address`` or ``IPv6Address``."""

    __slots__ = ("addr",)
    _function = "ip"

    def _text(self) -> Any:
        return str(self)

    def __str__(self) -> str:
        return str(self.addr)


class CIDR(_LibraryValue):
    """``addr``: the address as written (host bits kept); ``net``: the ``ipaddress`` network it is in."""

    __slots__ = ("addr", "net")
    _function = "cidr"

    def _key(self) -> Any:
        return (self.addr, self.net)

    def _text(self) -> Any:
        return str(self)

    def __str__(self) -> str:
        return f"{self.addr}/{self.net.prefixlen}"


def _parse_ip(s: str) -> Any:
    """Go netip.ParseAddr as restricted by Kubernetes: no zones, no IPv4-mapped IPv6, no leading zeros."""
    if not isinstance(s, str) or "%" in s:
        return None
    try:
        a = ipaddress.ip_address(s)
    except ValueError:
        return None
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped is not None:
        return None
    return a


def _parse_cidr(s: str) -> CIDR | None:
    if not isinstance(s, str) or "/" not in s:
        return None
    addr_s, _, bits = s.partition("/")
    a = _parse_ip(addr_s)
    if a is None or not bits.isdigit() or (len(bits) > 1 and bits[0] == "0"):
        return None
    try:
        net = ipaddress.ip_network(f"{addr_s}/{bits}", strict=False)
    except ValueError:
        return None
    return CIDR(a, net)


_ip_from_string, f_isIP = _from_string("ip", "isIP", _parse_ip,
                                      "IP Address {!r} parse error during conversion from string", IP)
f_cidr, f_isCIDR = _from_string("cidr", "isCIDR", _parse_cidr,
                                "network address {!r} parse error during conversion from string")


def f_ip(s: Any) -> Any:
    if isinstance(s, CIDR):
        return IP(s.addr)
    return _ip_from_string(s)


def f_family(x: Any) -> Any:
    _need(isinstance(x, IP), "family")
    return ct.IntType(x.addr.version)


def _ip_arg(x: Any, name: str) -> Any:
    """The address of an argument of ``name`` given as an IP or as a string (an error when it is not one)."""
    if not _is_str(x):
        _need(isinstance(x, IP), name)
        return x.addr
    a = _parse_ip(x)
    return _err(f"IP Address {x!r} parse error") if a is None else a


def _cidr_arg(x: Any, name: str) -> Any:
    """An argument of ``name`` given as a CIDR or as a string (an error when it is not one)."""
    if not _is_str(x):
        _need(isinstance(x, CIDR), name)
        return x
    c = _parse_cidr(x)
    return _err(f"network address {x!r} parse error") if c is None else c


def f_isCanonical(x: Any) -> Any:
    a = _ip_arg(x, "isCanonical")
    if isinstance(a, CELEvalError):
        return a
    return ct.BoolType(not _is_str(x) or str(a) == x)


def _ip_pred(name: str, fn: Callable[[Any], bool]) -> Callable[[Any], Any]:
    def pred(x: Any) -> Any:
        _need(isinstance(x, IP), name)
        return ct.BoolType(fn(x.addr))

    pred.__name__ = name
    return pred


def _is_link_local_mc(a: Any) -> bool:
    if a.version == 4:
        return a in ipaddress.ip_network("224.0.0.0/24")
    return a in ipaddress.ip_network("ff02::/16")


def _is_global_unicast(a: Any) -> bool:
    # Go's IsGlobalUnicast: not unspecified, loopback, multicast, link-local or broadcast.
    if a.version == 4 and a == ipaddress.IPv4Address("255.255.255.255"):
        return False
    return not (a.is_unspecified or a.is_loopback or a.is_multicast or a.is_link_local)


def f_containsIP(c: Any, x: Any) -> Any:
    _need(isinstance(c, CIDR), "containsIP")
    a = _ip_arg(x, "containsIP")
    if isinstance(a, CELEvalError):
        return a
    return ct.BoolType(a.version == c.net.version and a in c.net)


def f_containsCIDR(c: Any, x: Any) -> Any:
    _need(isinstance(c, CIDR), "containsCIDR")
    other = _cidr_arg(x, "containsCIDR")
    if isinstance(other, CELEvalError):
        return other
    return ct.BoolType(other.net.version == c.net.version and other.net.subnet_of(c.net))


def f_masked(c: Any) -> Any:
    _need(isinstance(c, CIDR), "masked")
    return CIDR(c.net.network_address, c.net)


def f_prefixLength(c: Any) -> Any:
    _need(isinstance(c, CIDR), "prefixLength")
    return ct.IntType(c.net.prefixlen)


# -- quantity (Kubernetes resource.Quantity) -----------------------------------------------------

_QTY_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")
_BIN = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DEC = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": 1, "k": 10**3,
        "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


class Quantity(_LibraryValue):
    """``raw``: the quantity as written; ``value``: its exact ``Fraction`` (what equality compares)."""

    __slots__ = ("raw", "value")
    _function = "quantity"

    def _key(self) -> Any:
        return self.value


def parse_quantity(s: str) -> Quantity | None:
    if not isinstance(s, str):
        return None
    m = _QTY_RE.match(s)
    if not m:
        return None
    num = Fraction(m.group(1))
    suf = m.group(2) or ""
    if suf in _BIN:
        num *= _BIN[suf]
    elif suf in _DEC:
        num *= _DEC[suf]
    else:
        exp = int(suf[1:])
        if abs(exp) > 1000:
            return None
        num *= Fraction(10) ** exp
    return Quantity(s, num)


f_quantity, f_isQuantity = _from_string("quantity", "isQuantity", parse_quantity,
                                        "quantities must match the regular expression: {!r}")


def _q2(a: Any, b: Any, name: str) -> tuple[Fraction, Fraction]:
    _need(isinstance(a, Quantity) and isinstance(b, Quantity), name)
    return a.value, b.value


def f_isGreaterThan(a: Any, b: Any) -> Any:
    x, y = _q2(a, b, "isGreaterThan")
    return ct.BoolType(x > y)


def f_isLessThan(a: Any, b: Any) -> Any:
    x, y = _q2(a, b, "isLessThan")
    return ct.BoolType(x < y)


def f_compareTo(a: Any, b: Any) -> Any:
    x, y = _q2(a, b, "compareTo")
    return ct.IntType((x > y) - (x < y))


def _q_other(b: Any) -> Fraction:
    if isinstance(b, Quantity):
        return b.value
    _need(_is_int(b), "quantity arithmetic")
    return Fraction(int(b))


def f_add(a: Any, b: Any) -> Any:
    _need(isinstance(a, Quantity), "add")
    v = a.value + _q_other(b)
    return Quantity(str(v), v)


def f_sub(a: Any, b: Any) -> Any:
    _need(isinstance(a, Quantity), "sub")
    v = a.value - _q_other(b)
    return Quantity(str(v), v)


def f_isInteger(a: Any) -> Any:
    _need(isinstance(a, Quantity), "isInteger")
    return ct.BoolType(a.value.denominator == 1 and -(2**63) <= a.value <= 2**63 - 1)


def f_asInteger(a: Any) -> Any:
    _need(isinstance(a, Quantity), "asInteger")
    if a.value.denominator != 1 or not -(2**63) <= a.value <= 2**63 - 1:
        return _err("cannot convert value to integer")
    return ct.IntType(int(a.value))


def f_asApproximateFloat(a: Any) -> Any:
    _need(isinstance(a, Quantity), "asApproximateFloat")
    return ct.DoubleType(float(a.value))


def f_sign(a: Any) -> Any:
    _need(isinstance(a, Quantity), "sign")
    return ct.IntType((a.value > 0) - (a.value < 0))


# -- duration (Go time.ParseDuration) -----------------------------------------------------------

_DUR_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DUR_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)")
_MAX_DURATION_NS = 315576000000 * 10**9


def parse_go_duration(s: str) -> int | None:
    """Nanoseconds for a Go duration string (``1h30m``, ``-1.5s``, ``0``), or None."""
    if not isinstance(s, str) or not s:
        return None
    sign = 1
    body = s
    if body[0] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if body == "0":
        return 0
    if not body:
        return None
    pos, total = 0, Fraction(0)
    while pos < len(body):
        m = _DUR_PART.match(body, pos)
        if not m or (m.group(1) == "" and not m.group(2)):
            return None
        whole = int(m.group(1) or "0")
        frac = Fraction(int(m.group(2)), 10 ** len(m.group(2))) if m.group(2) else Fraction(0)
        total += (whole + frac) * _DUR_UNITS[m.group(3)]
        pos = m.end()
    ns = sign * int(total)
    if abs(ns) > _MAX_DURATION_NS:
        return None
    return ns


def _go_duration_str(d: datetime.timedelta) -> str:
    us = d // datetime.timedelta(microseconds=1)
    return f"{us / 1e6:g}s"


def f_duration(s: Any) -> Any:
    if isinstance(s, datetime.timedelta):
        return s
    _need(_is_str(s), "duration")
    ns = parse_go_duration(s)
    if ns is None:
        return _err(f"invalid duration {s!r}")
    return ct.DurationType(datetime.timedelta(microseconds=ns // 1000))


# -- format library (Kubernetes 1.31+) ------------------------------------------------------------

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _name_errors(pattern: re.Pattern[str], most: int, message: str,
                 prefix_ends: tuple[str, ...] = ("-",)) -> Callable[..., list[str]]:
    """The check of a name format: at most ``most`` characters, matching ``pattern`` (else ``message``). For a
    ``prefix`` (of a generated name) a last character of ``prefix_ends`` is allowed too."""

    def errors(s: str, prefix: bool = False) -> list[str]:
        errs = []
        if prefix and s.endswith(prefix_ends):
            s = s[:-1] + "a"
        if len(s) > most:
            errs.append(f"must be no more than {most} characters")
        if not pattern.match(s):
            errs.append(message)
        return errs

    return errors


dns1123_label_errors = _name_errors(
    _DNS1123_LABEL, 63, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                        "and must start and end with an alphanumeric character")
dns1123_subdomain_errors = _name_errors(
    _DNS1123_SUBDOMAIN, 253, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                             "'-' or '.', and must start and end with an alphanumeric character", (".", "-"))
dns1035_label_errors = _name_errors(
    _DNS1035_LABEL, 63, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                        "alphabetic character, and end with an alphanumeric character")
label_value_errors = _name_errors(
    _LABEL_VALUE, 63, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                      "'.', and must start and end with an alphanumeric character", ())


def qualified_name_errors(s: str) -> list[str]:
    errs = []
    parts = s.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + e for e in dns1123_subdomain_errors(prefix))
    else:
        return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', "
                "with an optional DNS subdomain prefix and '/'"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    elif not _QUALIFIED_NAME_PART.match(name):
        errs.append("name part must consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
    return errs


def _fmt_uri(s: str) -> list[str]:
    return [] if _parse_url(s) is not None else ["must be a valid URI"]


def _fmt_byte(s: str) -> list[str]:
    try:
        base64.b64decode(s, validate=True)
        return []
    except Exception:
        return ["must be a valid base64 string"]


def _fmt_date(s: str) -> list[str]:
    try:
        datetime.date.fromisoformat(s) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) else 1 / 0
        return []
    except Exception:
        return ["must be a valid date"]


def _fmt_datetime(s: str) -> list[str]:
    return [] if parse_rfc3339(s) is not None else ["must be a valid RFC3339 date-time"]


_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(s: str) -> datetime.datetime | None:
    m = _RFC3339.match(s) if isinstance(s, str) else None
    if not m:
        return None
    try:
        frac = (m.group(7) or "")[1:7].ljust(6, "0") if m.group(7) else "0"
        tz = m.group(8)
        if tz in ("Z", "z"):
            tzinfo = datetime.timezone.utc
        else:
            sign = 1 if tz[0] == "+" else -1
            tzinfo = datetime.timezone(sign * datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
        return datetime.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)),
                                 int(m.group(5)), int(m.group(6)), int(frac), tzinfo=tzinfo)
    except ValueError:
        return None


NAMED_FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": dns1123_label_errors,
    "dns1123Subdomain": dns1123_subdomain_errors,
    "dns1035Label": dns1035_label_errors,
    "dns1123LabelPrefix": lambda s: dns1123_label_errors(s, True),
    "dns1123SubdomainPrefix": lambda s: dns1123_subdomain_errors(s, True),
    "dns1035LabelPrefix": lambda s: dns1035_label_errors(s, True),
    "qualifiedName": qualified_name_errors,
    "labelValue": label_value_errors,
    "uri": _fmt_uri,
    "uuid": lambda s: [] if _UUID.match(s) else ["does not match the UUID format"],
    "byte": _fmt_byte,
    "date": _fmt_date,
    "datetime": _fmt_datetime,
}


class NamedFormat:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"format.{self.name}()"


def _format_ctor(name: str) -> Callable[[Any], Any]:
    def ctor(ns: Any) -> Any:
        _need(ns is FORMAT_NS, name)
        return NamedFormat(name)

    ctor.__name__ = name
    return ctor


def f_named(ns: Any, name: Any) -> Any:
    _need(ns is FORMAT_NS and _is_str(name), "named")
    return Optional.of(NamedFormat(name)) if name in NAMED_FORMATS else Optional.none()


def f_validate(fmt: Any, s: Any) -> Any:
    _need(isinstance(fmt, NamedFormat) and _is_str(s), "validate")
    errs = NAMED_FORMATS[fmt.name](s)
    return Optional.of(ct.ListType([ct.StringType(e) for e in errs])) if errs else Optional.none()


# -- type conversion overrides -------------------------------------------------------------------


def f_int(v: Any) -> Any:
    if isinstance(v, datetime.datetime):
        return ct.IntType(int(v.timestamp()))
    if isinstance(v, str):
        if not re.fullmatch(r"[+-]?[0-9]+", v):
            return _err(f"cannot convert {v!r} to int")
    return ct.IntType(v)


def f_string(v: Any) -> Any:
    if isinstance(v, (IP, CIDR)):
        return ct.StringType(str(v))
    if isinstance(v, URL):
        return ct.StringType(v.raw)
    if isinstance(v, ct.BoolType):
        return ct.StringType("true" if v else "false")
    if isinstance(v, ct.DurationType):
        return ct.StringType(_go_duration_str(v))
    return ct.StringType(v)


def f_size(v: Any) -> Any:
    _need(isinstance(v, (str, bytes, ct.ListType, ct.MapType)), "size")
    return ct.IntType(len(v))


def f_contains(s: Any, sub: Any) -> Any:
    _need(_is_str(s) and _is_str(sub), "contains")
    return ct.BoolType(sub in s)


def f_startsWith(s: Any, p: Any) -> Any:
    _need(_is_str(s) and _is_str(p), "startsWith")
    return ct.BoolType(s.startswith(p))


def f_endsWith(s: Any, p: Any) -> Any:
    _need(_is_str(s) and _is_str(p), "endsWith")
    return ct.BoolType(s.endswith(p))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # strings
    "charAt": f_charAt, "indexOf": f_indexOf, "lastIndexOf": f_lastIndexOf,
    "lowerAscii": f_lowerAscii, "upperAscii": f_upperAscii, "replace": f_replace,
    "split": f_split, "substring": f_substring, "trim": f_trim, "join": f_join,
    "reverse": f_reverse, "format": f_format, "quote": f_quote,
    "contains": f_contains, "startsWith": f_startsWith, "endsWith": f_endsWith,
    "size": f_size,
    # regex
    "matches": f_matches, "find": f_find, "findAll": f_findAll,
    # lists
    "isSorted": f_isSorted, "sum": f_sum, "min": f_min, "max": f_max,
    "slice": f_slice, "flatten": f_flatten, "distinct": f_distinct,
    # optional
    "of": f_of, "none": f_none, "ofNonZeroValue": f_ofNonZeroValue,
    "hasValue": f_hasValue, "value": f_value, "orValue": f_orValue, "or": f_or,
    # url
    "url": f_url, "isURL": f_isURL, "getScheme": f_getScheme, "getHost": f_getHost,
    "getHostname": f_getHostname, "getPort": f_getPort, "getEscapedPath": f_getEscapedPath,
    "getQuery": f_getQuery,
    # ip / cidr
    "ip": f_ip, "isIP": f_isIP, "cidr": f_cidr, "isCIDR": f_isCIDR, "family": f_family,
    "isCanonical": f_isCanonical,
    "isUnspecified": _ip_pred("isUnspecified", lambda a: a.is_unspecified),
    "isLoopback": _ip_pred("isLoopback", lambda a: a.is_loopback),
    "isLinkLocalMulticast": _ip_pred("isLinkLocalMulticast", _is_link_local_mc),
    "isLinkLocalUnicast": _ip_pred("isLinkLocalUnicast", lambda a: a.is_link_local),
    "isGlobalUnicast": _ip_pred("isGlobalUnicast", _is_global_unicast),
    "containsIP": f_containsIP, "containsCIDR": f_containsCIDR, "masked": f_masked,
    "prefixLength": f_prefixLength,
    # quantity
    "quantity": f_quantity, "isQuantity": f_isQuantity, "isGreaterThan": f_isGreaterThan,
    "isLessThan": f_isLessThan, "compareTo": f_compareTo, "add": f_add, "sub": f_sub,
    "isInteger": f_isInteger, "asInteger": f_asInteger, "asApproximateFloat": f_asApproximateFloat,
    "sign": f_sign,
    # duration / conversions
    "duration": f_duration, "int": f_int, "string": f_string,
    # format library
    "named": f_named, "validate": f_validate,
    **{name: _format_ctor(name) for name in NAMED_FORMATS},
}

# Functions and methods that celpy itself provides and we rely on (see celpy.evaluation.base_functions).
_BASE_NAMES = {
    "type", "bool", "bytes", "double", "uint", "timestamp", "dyn", "has",
    "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getFullYear", "getMonth",
    "getHours", "getMilliseconds", "getMinutes", "getSeconds",
}
KNOWN_FUNCTIONS = frozenset(FUNCTIONS) | _BASE_NAMES | _MACROS
_KNOWN_IDENTS = frozenset({
    "self", "oldSelf", "optional", "format", "int", "uint", "double", "bool", "string", "bytes",
    "list", "map", "null_type", "type", "duration", "timestamp",
})


# --------------------------------------------------------------------------------------------
# Static checks ("compilation")
# --------------------------------------------------------------------------------------------


def _check(tree: Any, bound: frozenset[str], errors: list[str], idents: set[str]) -> None:
    if not isinstance(tree, lark.Tree):
        return
    d = tree.data
    if d == "member_dot_arg":
        name = tree.children[1].value
        if name in _MACROS and len(tree.children) == 3 and len(tree.children[2].children) == 2:
            var_tree, body = tree.children[2].children
            ids = list(var_tree.find_data("ident"))
            _check(tree.children[0], bound, errors, idents)
            if len(ids) != 1 or _single_child(var_tree) is not ids[0]:
                errors.append(f"{name}(): first argument must be a simple identifier")
                return
            _check(body, bound | {ids[0].children[0].value}, errors, idents)
            return
        if name not in KNOWN_FUNCTIONS:
            errors.append(f"undeclared reference to method {name!r}")
    elif d == "ident_arg":
        name = tree.children[0].value
        if name not in KNOWN_FUNCTIONS:
            errors.append(f"undeclared reference to function {name!r}")
        if name == "has":
            args = tree.children[1].children if len(tree.children) > 1 else []
            target = _single_child(args[0]) if len(args) == 1 else None
            if not (isinstance(target, lark.Tree) and target.data == "member_dot"):
                errors.append("invalid argument to has() macro")
    elif d == "ident":
        name = tree.children[0].value
        idents.add(name)
        if name not in bound and name not in _KNOWN_IDENTS:
            errors.append(f"undeclared reference to {name!r}")
    elif d in ("dot_ident", "dot_ident_arg", "member_object"):
        errors.append(f"unsupported construct: {d}")
    for c in tree.children:
        _check(c, bound, errors, idents)


# --------------------------------------------------------------------------------------------
# Compiled rules
# --------------------------------------------------------------------------------------------


@dataclass
class CompiledRule:
    text: str
    tree: lark.Tree
    uses_old_self: bool

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """Evaluate with the given variables; returns a CEL value or raises CELEvalError."""
        activation = Activation(functions=FUNCTIONS, vars=dict(variables))
        return K8sEvaluator(self.tree, activation).evaluate()


_compile_lock = threading.Lock()
_compiled: dict[str, CompiledRule | CELCompileError] = {}


def compile_rule(text: str) -> CompiledRule:
    """Parse and check a rule once (cached by text). Raises CELCompileError."""
    with _compile_lock:
        hit = _compiled.get(text)
    if hit is None:
        try:
            tree = parse(text)
            errors: list[str] = []
            idents: set[str] = set()
            _check(tree, frozenset(), errors, idents)
            if errors:
                raise CELCompileError("; ".join(dict.fromkeys(errors)))
            hit = CompiledRule(text, tree, "oldSelf" in idents)
        except CELCompileError as ex:
            hit = ex
        with _compile_lock:
            _compiled[text] = hit
    if isinstance(hit, CELCompileError):
        raise hit
    return hit


# --------------------------------------------------------------------------------------------
# JSON -> CEL values (schema aware, as the apiserver's UnstructuredToVal)
# --------------------------------------------------------------------------------------------


def to_cel(value: Any, schema: Mapping[str, Any] | None) -> Any:
    schema = schema or {}
    if value is None:
        return None
    if isinstance(value, bool):
        return ct.BoolType(value)
    if isinstance(value, int):
        if schema.get("type") == "number":
            return ct.DoubleType(float(value))
        return ct.IntType(value)
    if isinstance(value, float):
        if schema.get("type") == "integer" and value.is_integer():
            return ct.IntType(int(value))
        return ct.DoubleType(value)
    if isinstance(value, str):
        fmt = schema.get("format") if schema.get("type") == "string" else None
        if fmt == "byte":
            try:
                return ct.BytesType(base64.b64decode(value, validate=True))
            except Exception:
                pass
        elif fmt == "duration":
            ns = parse_go_duration(value)
            if ns is not None:
                return ct.DurationType(datetime.timedelta(microseconds=ns // 1000))
        elif fmt == "date-time":
            dt = parse_rfc3339(value)
            if dt is not None:
                return ct.TimestampType(dt)
        return ct.StringType(value)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        addl = schema.get("additionalProperties")
        addl = addl if isinstance(addl, dict) else None
        out = {}
        for k, v in value.items():
            sub = props.get(k) if k in props else addl
            out[ct.StringType(k)] = to_cel(v, sub)
        return ct.MapType(out)
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else None
        return ct.ListType([to_cel(v, items) for v in value])
    return value


def is_true(value: Any) -> bool:
    return isinstance(value, ct.BoolType) and bool(value)


def iter_rules(schema: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """All (json-path-ish location, rule) pairs of a schema tree (for the compile-all check)."""
    stack: list[tuple[str, Any]] = [("", schema)]
    while stack:
        path, s = stack.pop()
        if not isinstance(s, Mapping):
            continue
        for r in s.get("x-kubernetes-validations") or []:
            yield path, r
        for k, v in (s.get("properties") or {}).items():
            stack.append((f"{path}.{k}", v))
        if isinstance(s.get("items"), Mapping):
            stack.append((f"{path}[*]", s["items"]))
        if isinstance(s.get("additionalProperties"), Mapping):
            stack.append((f"{path}.*", s["additionalProperties"]))
