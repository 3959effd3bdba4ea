"""Deterministic YAML text for a stream of Kubernetes objects (plain string building; no YAML library).

The format, chosen once and kept stable:

- Documents are separated by ``---`` lines; the first document has no ``---`` before it. The text ends with a
  newline (an empty stream is the empty string).
- Block style, 2-space indent. Mapping key order is kept as given (callers order keys). Sequences under a key are
  not indented, as kubectl prints them::

      rules:
      - host: a.example.com
        http:
          paths:
          - path: /

- Empty mappings and sequences are ``{}`` and ``[]``; ``None`` is ``null``; booleans ``true``/``false``; floats
  always carry a ``.`` or an exponent form a YAML 1.1 reader accepts (``1.0e+20``), and ``.inf``/``-.inf``/``.nan``.
- Strings are plain when no YAML 1.1 or 1.2 reader (PyYAML, ruamel, go-yaml, kubectl) could read them as anything
  else; otherwise single-quoted; double-quoted (with escapes) only when they hold line breaks or characters that are
  not printable. Long strings are never folded or wrapped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dump_documents", "format_scalar"]

# Strings that some YAML 1.1/1.2 reader resolves to null, a boolean, a number, a timestamp or a special tag.
_SPECIAL_WORDS = frozenset(
    """~ null Null NULL y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF
    .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF .nan .NaN .NAN = <<""".split()
)
# Deliberately generous: anything shaped like an int/float in any base or notation (1_000, 0x1f, 0o17, 0b1, 0123,
# 1e3, .5, 1., 1:30, 190:20:30.15) or a date/timestamp prefix. Quoting a string that only *looks* numeric is harmless.
_NUMERIC = re.compile(
    r"[-+]?(?:0[xX][0-9a-fA-F_]*|0[oObB][0-7_]*|[0-9_]*(?::[0-9_]+)*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?)"
)
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t].*)?")
_PLAIN_FIRST_BAD = frozenset("-?:,[]{}#&*!|>'\"%@` \t")
# Characters that must be escaped (not YAML-printable, or line breaks a reader would fold or normalise).
_NEEDS_DOUBLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_ESCAPES = {
    "\0": "\\0", "\x07": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\x0b": "\\v", "\f": "\\f", "\r": "\\r",
    "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N", "\xa0": "\\_", "\u2028": "\\L", "\u2029": "\\P",
}
_DQ_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')


def _escape_char(m: re.Match[str]) -> str:
    c = m.group()
    e = _ESCAPES.get(c)
    if e is not None:
        return e
    o = ord(c)
    return f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}"


def _quote(s: str) -> str:
    """The YAML text of the string ``s``."""
    if _NEEDS_DOUBLE.search(s):
        return '"' + _DQ_ESCAPE.sub(_escape_char, s) + '"'
    if _plain_ok(s):
        return s
    return "'" + s.replace("'", "''") + "'"


def _plain_ok(s: str) -> bool:
    if not s or s in _SPECIAL_WORDS:
        return False
    first = s[0]
    if first in _PLAIN_FIRST_BAD:
        # "-x", "?x", ":x" are legal plain scalars, but "-", "- x", "---" and "-1" are not strings; keep it simple.
        if first not in "-?:" or len(s) < 2 or s[1] in " \t" or s.startswith(("---", "...")):
            return False
    if s[-1] in " :" or ": " in s or " #" in s or "\t" in s:  # tabs: readers disagree on them in plain scalars
        return False
    if s.startswith("..."):
        return False
    c = first if first not in "-+" else (s[1] if len(s) > 1 else "")
    if c in "0123456789._" and (_NUMERIC.fullmatch(s) or _TIMESTAMP.fullmatch(s)):
        return False  # "_" too: YAML 1.1 ints allow underscores anywhere ([-+]?[0-9_]+), so "-_" is an int
    if first in "-+." and s[1:] in _SPECIAL_WORDS:
        return False
    return True


def _float(v: float) -> str:
    if v != v:
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    r = repr(v)
    if "e" in r and "." not in r:  # 1e+20 is a string to YAML 1.1 readers; 1.0e+20 is a float everywhere
        mant, _, exp = r.partition("e")
        r = f"{mant}.0e{exp if exp[0] in '+-' else '+' + exp}"
    elif "e" in r:
        mant, _, exp = r.partition("e")
        r = f"{mant}e{exp if exp[0] in '+-' else '+' + exp}"
    return r


_cache: dict[str, str] = {}


def format_scalar(v: Any) -> str:
    """The YAML text of a scalar value (str/int/float/bool/None)."""
    t = type(v)
    if t is str:
        r = _cache.get(v)
        if r is None:
            if len(_cache) > 200_000:
                _cache.clear()
            r = _cache[v] = _quote(v)
        return r
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if v is None:
        return "null"
    if t is float:
        return _float(v)
    # subclasses (enums, MarkedMap values from the loader are plain types already)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return format_scalar(str.__str__(v))
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        return _float(float(v))
    raise TypeError(f"cannot write a {type(v).__name__} as YAML: {v!r}")


def _key(k: Any) -> str:
    if type(k) is not str:
        k = format_scalar(k) if not isinstance(k, str) else str.__str__(k)  # a non-string key is written as a string
    return format_scalar(k)


def _is_map(v: Any) -> bool:
    return isinstance(v, Mapping)


def _is_seq(v: Any) -> bool:
    return isinstance(v, Sequence) and not isinstance(v, (str, bytes, bytearray))


def _map(m: Mapping, indent: str, first: str, out: list[str]) -> None:
    """Write a non-empty mapping; the first line starts with ``first`` (``indent`` or a ``- `` item prefix)."""
    lead = first
    inner = indent + "  "
    for k, v in m.items():
        ks = _key(k)
        t = type(v)
        if t is dict or (t is not list and t is not str and _is_map(v)):
            if v:
                out.append(f"{lead}{ks}:\n")
                _map(v, inner, inner, out)
            else:
                out.append(f"{lead}{ks}: {{}}\n")
        elif t is list or (t is not str and _is_seq(v)):
            if v:
                out.append(f"{lead}{ks}:\n")
                _seq(v, indent, indent, out)
            else:
                out.append(f"{lead}{ks}: []\n")
        else:
            out.append(f"{lead}{ks}: {format_scalar(v)}\n")
        lead = indent


def _seq(s: Sequence, indent: str, first: str, out: list[str]) -> None:
    """Write a non-empty sequence whose ``- `` markers sit at ``indent`` (the first one after ``first``)."""
    lead = first
    inner = indent + "  "
    for v in s:
        t = type(v)
        if t is dict or (t is not list and t is not str and _is_map(v)):
            if v:
                _map(v, inner, lead + "- ", out)
            else:
                out.append(f"{lead}- {{}}\n")
        elif t is list or (t is not str and _is_seq(v)):
            if v:
                _seq(v, inner, lead + "- ", out)
            else:
                out.append(f"{lead}- []\n")
        else:
            out.append(f"{lead}- {format_scalar(v)}\n")
        lead = indent


def dump_documents(docs: Sequence[Mapping]) -> str:
    """YAML text for ``docs`` (see the module docstring for the exact format). Deterministic."""
    out: list[str] = []
    for i, doc in enumerate(docs):
        if i:
            out.append("---\n")
        if _is_map(doc):
            if doc:
                _map(doc, "", "", out)
            else:
                out.append("{}\n")
        elif _is_seq(doc):
            if doc:
                _seq(doc, "", "", out)
            else:
                out.append("[]\n")
        else:
            out.append(format_scalar(doc) + "\n")
    return "".join(out)
