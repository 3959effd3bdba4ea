"""Value formats of the Envoy Gateway v1alpha1 CRDs (durations, quantities, rate units, CIDRs).

Envoy Gateway durations match ``^([0-9]{1,5}(h|m|s|ms)){1,4}$``: at most five digits per unit, so
``1728000s`` must be written ``480h``. Sizes are Kubernetes quantities (``8Mi``); nginx sizes are
1024-based, so they are written with binary suffixes whenever they divide exactly.
"""

from __future__ import annotations

import ipaddress
import math
import re

from ingress2gw.provider.numbers import parse_int

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
#: Rate-limit units of BackendTrafficPolicy.spec.rateLimit.*.rules[].limit.unit, shortest first.
RATE_UNITS = (("Second", 1), ("Minute", 60), ("Hour", 3600), ("Day", 86400))


def duration_ms(text: str | int | None) -> int | None:
    """Milliseconds of a Gateway API / Go duration (``10s``, ``1m30s``, ``500ms``) or plain seconds."""
    if text is None:
        return None
    if isinstance(text, int) and not isinstance(text, bool):
        return text * 1000 if text >= 0 else None
    s = str(text).strip()
    if s.isdigit():
        seconds = parse_int(s)  # (None past 4,300 digits: not a duration any field takes)
        return None if seconds is None else seconds * 1000
    pos, total = 0, 0.0
    for m in _DURATION.finditer(s):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNIT_MS[m.group(2)]
        pos = m.end()
    if pos != len(s) or not s or not math.isfinite(total):  # (hundreds of digits overflow a float)
        return None
    return int(round(total))


def eg_duration(text: str | int | None) -> str | None:
    """The Envoy Gateway spelling of a duration (``480h``, ``1m30s``, ``500ms``), or None if invalid."""
    ms = duration_ms(text)
    if ms is None:
        return None
    if ms == 0:
        return "0s"
    parts = []
    for unit in ("h", "m", "s", "ms"):
        n, ms = divmod(ms, _UNIT_MS[unit])
        if n:
            parts.append(f"{n}{unit}")
    if any(len(p.rstrip("hms")) > 5 for p in parts):
        return None
    return "".join(parts)


def quantity(n: int) -> str:
    """A byte count as a Kubernetes quantity, exact: 8388608 → ``8Mi``, 2000000 → ``2000000``."""
    for suffix, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def per_unit(requests: int, period: str) -> tuple[int, str] | None:
    """``requests`` per ``period`` as (requests, unit) with the shortest unit that keeps it whole."""
    ms = duration_ms(period)
    if not ms or requests <= 0:
        return None
    for unit, secs in RATE_UNITS:
        scaled = requests * secs * 1000
        if scaled % ms == 0 and scaled // ms >= 1:
            return scaled // ms, unit
    return None


def cidr(text: str) -> str | None:
    """A normalised CIDR (a bare address gets /32 or /128), or None."""
    try:
        return str(ipaddress.ip_network(str(text).strip(), strict=False))
    except ValueError:
        return None


def status_matches(codes) -> list[dict] | None:
    """responseOverride ``match.statusCodes`` from codes and ``"500-599"`` ranges (None if invalid)."""
    out: list[dict] = []
    for c in codes or ():
        text = str(c).strip()
        m = re.fullmatch(r"(\d{3})\s*-\s*(\d{3})", text)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo == hi:
                out.append({"type": "Value", "value": lo})
            elif lo < hi:
                out.append({"type": "Range", "range": {"start": lo, "end": hi}})
            else:
                return None
        elif text.isdigit() and 100 <= (parse_int(text) or 0) <= 599:
            out.append({"type": "Value", "value": int(text)})
        else:
            return None
    return out or None
