"""Values for NGINX Gateway Fabric policies: NGINX sizes and durations in the forms the v2.6.7 CRDs accept
(at most four digits and one unit), request rates, rate-limit keys, and the merge of policy fragments.

Conversions return the value and whether it is exact; inexact ones are rounded in the direction that
keeps the source's behaviour (sizes and timeouts up, rates down), and the emitter states the difference.
"""

from __future__ import annotations

import json
import math
import re

from ingress2gw.provider.numbers import parse_int

_NGINX_SIZE = re.compile(r"^\s*([0-9]+)\s*([kKmMgG]?)\s*$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)")
_HEADER = re.compile(r"^[A-Za-z0-9-]+$")
_DURATION_UNITS = (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1))


def nginx_bytes(text) -> int | None:
    """Bytes of an NGINX size (``8m``, ``16K``, ``1024``; 1024-based), or None."""
    m = _NGINX_SIZE.match(str(text))
    n = parse_int(m.group(1)) if m else None  # (None past 4,300 digits)
    if n is None:
        return None
    return n * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def _four_digits(amount: int, units: tuple[tuple[str, int], ...], zero: str) -> tuple[str, bool] | None:
    """``amount`` written as at most four digits and one of ``units`` ((name, multiple), largest first, the last one
    of multiple 1), and whether that is exact: exact in the largest unit that divides it into four digits, else
    rounded up in the smallest unit but the last that holds it in four digits; None when none does. ``zero`` is how
    0 is written."""
    if amount == 0:
        return zero, True
    for unit, mult in units:
        if amount % mult == 0 and amount // mult <= 9999:
            return f"{amount // mult}{unit}", True
    for unit, mult in reversed(units[:-1]):
        n = -(-amount // mult)
        if n <= 9999:
            return f"{n}{unit}", False
    return None


def ngf_size(nbytes: int) -> tuple[str, bool] | None:
    """An NGF size (``^\\d{1,4}(k|m|g)?$``) and whether it is exact; inexact sizes are rounded up."""
    return _four_digits(nbytes, (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("", 1)), "0")


def duration_ms(text) -> int | None:
    """Milliseconds of a Gateway API / Go duration (``90s``, ``1h30m``, ``500ms``, ``1.5s``), or None."""
    s = str(text).strip()
    if s == "0":
        return 0
    parts = _DURATION_PART.findall(s)
    if not parts or "".join(n + u for n, u in parts) != s:
        return None
    scale = dict(_DURATION_UNITS)
    total = sum(float(n) * scale[u] for n, u in parts)
    return round(total) if math.isfinite(total) else None  # (hundreds of digits overflow a float)


def ngf_duration(ms: int) -> tuple[str, bool] | None:
    """An NGF duration (``^[0-9]{1,4}(ms|s|m|h)?$``) and whether it is exact; inexact ones round up."""
    return _four_digits(ms, _DURATION_UNITS, "0s")


def request_rate(requests: int, period) -> tuple[str, bool] | None:
    """``Nr/s`` or ``Nr/m`` for ``requests`` per ``period`` (exact when possible, else per minute, rounded down)."""
    ms = duration_ms(period)
    if not ms:
        return None
    if ms == 60_000:
        return f"{requests}r/m", True  # keep the source's unit
    if (requests * 1000) % ms == 0:
        return f"{requests * 1000 // ms}r/s", True
    per_minute = requests * 60_000 / ms
    if per_minute.is_integer():
        return f"{int(per_minute)}r/m", True
    if per_minute >= 1:
        return f"{int(per_minute)}r/m", False
    return None


def rate_key(key: str) -> str | None:
    """The NGINX variable for a rate-limit key of the canonical family."""
    if key in ("", "client-ip"):
        return "$binary_remote_addr"
    if key == "host":
        return "$host"
    if key.startswith("header:") and _HEADER.match(key[7:]):
        return "$http_" + key[7:].lower().replace("-", "_")
    return None


def claimable(timeouts: dict) -> bool:
    """Whether HTTPRoute ``timeouts`` become ProxySettingsPolicy.timeout.read: a backend (read) timeout NGF
    can hold and no bound on the whole request (NGINX has none)."""
    ms = duration_ms(timeouts.get("backendRequest")) if timeouts.get("backendRequest") else None
    return timeouts.get("request") in (None, "0s") and bool(ms) and ngf_duration(ms) is not None


def merge(base: dict, extra: dict) -> list[str]:
    """Merge ``extra`` into ``base``: dicts recursively, lists as a union in order, other values keep
    ``base`` (the dotted keys that disagreed are returned)."""
    clashes = []
    for k, v in extra.items():
        if k not in base:
            base[k] = json.loads(json.dumps(v))
        elif isinstance(base[k], dict) and isinstance(v, dict):
            clashes += [f"{k}.{c}" for c in merge(base[k], v)]
        elif isinstance(base[k], list) and isinstance(v, list):
            base[k] += [json.loads(json.dumps(i)) for i in v if i not in base[k]]
        elif base[k] != v:
            clashes.append(k)
    return clashes
