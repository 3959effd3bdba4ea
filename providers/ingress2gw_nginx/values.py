"""Value parsing shared by the ingress-nginx annotation families, and access to the source Ingress.

The controller parses annotation values with Go's strconv (ParseBool, Atoi); a value it cannot parse is
ignored and the default kept. Handlers report such values as ``annotation.invalid-value``.
"""

from __future__ import annotations

from ingress2gw.plugin import AnnotationValue, Code, Report
from ingress2gw.plugin import parse_int

#: Go's strconv.ParseBool spellings, as the controller parses booleans.
TRUE = ("1", "t", "T", "TRUE", "true", "True")
FALSE = ("0", "f", "F", "FALSE", "false", "False")


def parse_bool(value: AnnotationValue, report: Report, provider: str = "ingress-nginx") -> bool | None:
    """nginx parses booleans with Go's strconv.ParseBool; anything else is ignored (default kept)."""
    text = value.text.strip()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider=provider,
               annotation=value.key, value=value.text,
               detail=f"expected true or false, got {value.text!r}; the controller kept its default")
    return None


def bool_text(text: str | None) -> bool | None:
    """ParseBool without reporting (for reading a sibling annotation)."""
    if text is None:
        return None
    text = text.strip()
    return True if text in TRUE else False if text in FALSE else None


def int_text(text: str | None) -> int | None:
    """Go's strconv.Atoi: optional sign and decimal digits only."""
    if text is None:
        return None
    t = text.strip()
    body = t[1:] if t[:1] in "+-" else t
    return parse_int(t) if body.isdigit() and body.isascii() else None  # None too for a huge number


def sibling(value: AnnotationValue, *names: str) -> str | None:
    """The first of ``names`` (without prefix) the same Ingress sets, under ``value``'s prefix: the canonical
    name first, then a deprecated alias."""
    for name in names:
        text = value.sibling(name)
        if text is not None:
            return text
    return None
