"""Value parsing shared by the ingress-nginx annotation families, and access to the source Ingress.

The controller parses annotation values with Go's strconv (ParseBool, Atoi); a value it cannot parse is
ignored and the default kept. Handlers report such values as ``annotation.invalid-value``.
"""

from __future__ import annotations

from ingress2gw.plugin import AnnotationValue, Code, Context, Ingress, IngressDraft, Report

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def parse_bool(value: AnnotationValue, report: Report, provider: str = "ingress-nginx") -> bool | None:
    """nginx parses booleans with Go's strconv.ParseBool; anything else is ignored (default kept)."""
    text = value.text.strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
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
    return True if text in _TRUE else False if text in _FALSE else None


def int_text(text: str | None) -> int | None:
    """Go's strconv.Atoi: optional sign and decimal digits only."""
    if text is None:
        return None
    t = text.strip()
    body = t[1:] if t[:1] in "+-" else t
    return int(t) if body.isdigit() and body.isascii() else None


def sibling(value: AnnotationValue, ing: Ingress | None, name: str) -> str | None:
    """Another annotation of the same Ingress, with the same prefix as ``value``."""
    return value.sibling(name)


def source_ingress(draft: IngressDraft, ctx: Context | None = None) -> Ingress | None:
    """The Ingress a draft was translated from."""
    return draft.source
