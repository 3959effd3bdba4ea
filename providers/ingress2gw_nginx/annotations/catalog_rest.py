"""Declare every catalog annotation that no family module handles yet as unsupported, with its target.

This keeps the audit honest: a documented ingress-nginx annotation is never reported as unknown, and
never silently dropped.
"""

from ingress2gw.plugin import Status

from ingress2gw_nginx.catalog import CATALOG
from ingress2gw_nginx.registry import REGISTRY

_TARGET_TEXT = {
    "standard": "expressible with standard-channel Gateway API ({fields}), not translated yet",
    "experimental": "needs experimental-channel Gateway API ({fields}), not translated yet",
    "policy": "needs an implementation policy (no Gateway API field)",
    "none": "has no Gateway API equivalent",
}

for name, area, kind, lifecycle, target, fields, alias in CATALOG:
    if REGISTRY.lookup(name) is not None:
        continue
    reason = _TARGET_TEXT.get(target, "not translated").format(fields=fields or "see docs")
    if lifecycle == "removed":
        status, reason = Status.IGNORED, "Removed from ingress-nginx; current controllers ignore it."
    else:
        status = Status.UNSUPPORTED
    remediation = f"Replaced by {alias}." if alias else "Rebuild the behaviour by hand on the target gateway."
    REGISTRY.declare(name, area=area, status=status, reason=f"{name}: {reason.rstrip('.')}.", remediation=remediation,
                     maps_to=fields, prefixed=not name.startswith(("kubernetes.io/", "ingress.kubernetes.io/")),
                     lifecycle=lifecycle)
