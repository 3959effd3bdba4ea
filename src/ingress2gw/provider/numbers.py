"""Whole numbers read from annotation and setting text, safe against hostile input.

``int()`` refuses a decimal string of more than 4,300 digits (CPython's integer string conversion limit) with a
``ValueError`` that is easy to miss; a provider parsing annotation text must treat such a number as an invalid
value, never crash. ``parse_int`` does that: it returns ``None`` for anything that is not a whole number ``int()``
accepts, huge numbers included. Providers reach it through ``ingress2gw.plugin``.
"""

from __future__ import annotations

__all__ = ["MAX_INT_DIGITS", "parse_int"]

#: The most digits a whole number read from text may have (CPython's default ``sys.get_int_max_str_digits()``).
MAX_INT_DIGITS = 4300


def parse_int(text: str | None) -> int | None:
    """``int(text)`` (decimal, surrounding blanks and one sign allowed, as ``int`` does), or ``None`` when the
    text is not a whole number or has more than ``MAX_INT_DIGITS`` digits."""
    if text is None:
        return None
    t = text.strip()
    sign = t[:1] if t[:1] in ("+", "-") else ""
    body = t[len(sign):].lstrip("0")
    if len(body.replace("_", "")) > MAX_INT_DIGITS:
        return None
    if not body[:1].isdigit():  # "0", "007" read as 0 and 7; anything else ("0_1", "x") as int() reads it
        body = t[len(sign):]
    try:
        return int(sign + body)
    except ValueError:  # not a number, or refused by a lower interpreter limit
        return None
