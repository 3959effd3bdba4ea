"""Retries on the next endpoint (``proxy_next_upstream``).

The controller retries on ``error timeout`` up to 3 tries (the first included) by default, for
idempotent methods only (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-timeouts).
Gateway API ``rules[].retry`` (experimental channel ≥ 1.2) has ``attempts`` (retries, the first try
excluded) and ``codes``; connection errors and backend timeouts are retried by implementations that
support ``HTTPRouteRetryConnectionError`` / ``HTTPRouteRetryBackendTimeout``.

``proxy-next-upstream`` sorts before ``proxy-next-upstream-tries``: the conditions handler reads the
Ingress's tries (else the ConfigMap's), the tries handler the Ingress's conditions (else the ConfigMap's),
so both attach the same Retry; the tries one, attached later, is the one rendered. ``0`` tries means no
limit to nginx (it tries further endpoints until one answers): Gateway API retries need a number, so the
ConfigMap's (at least the controller's default of 3) is written, and the finding says which requests change.

PolicyIntent families defined here:

- ``retry``: ``budget`` (duration string) — total time allowed for passing a request to further
  endpoints (nginx proxy_next_upstream_timeout; kgateway TrafficPolicy.retry.perTryTimeout and Envoy
  Gateway BackendTrafficPolicy.retry.perRetry.timeout are the closest, per try).
"""

from __future__ import annotations

from ingress2gw.plugin import AnnotationValue, Code, Context, IngressDraft, Report, Retry, RetryBudgetPolicy, Status
from ingress2gw.plugin import parse_int

from ingress2gw_nginx.values import sibling
from ingress2gw_nginx.annotations.timeouts import duration, parse_seconds_or_zero, setting_seconds
from ingress2gw_nginx.registry import REGISTRY

PROVIDER = "ingress-nginx"
CODES = {"http_500": 500, "http_502": 502, "http_503": 503, "http_504": 504, "http_403": 403, "http_404": 404,
         "http_429": 429}
OTHER = {"error", "timeout", "invalid_header", "non_idempotent", "off"}


DEFAULT_TRIES = 3


def _conditions(words: list[str]) -> tuple[tuple[int, ...], list[str]]:
    """The status codes of a proxy-next-upstream value, and what differs when Gateway API retries on them."""
    codes = tuple(sorted({CODES[w] for w in words if w in CODES}))
    caveats = ["connection errors and timeouts are retried only by gateways supporting "
               "HTTPRouteRetryConnectionError/HTTPRouteRetryBackendTimeout"]
    if "non_idempotent" in words:
        caveats.append("non_idempotent: Gateway API cannot say whether POST/PATCH may be retried")
    else:
        caveats.append("nginx never retried POST, LOCK or PATCH; Gateway API retries do not look at the method")
    if "invalid_header" in words:
        caveats.append("invalid_header (an empty or invalid upstream response) has no retry condition")
    return codes, caveats


def _unlimited(ctx: Context, said: str) -> tuple[int, str]:
    """The tries written for nginx's "no limit" (``said``: where the 0 came from), and what changes."""
    n = max(DEFAULT_TRIES, setting_seconds(ctx, "proxy-next-upstream-tries", DEFAULT_TRIES))
    return n, (f"{said} means no limit to nginx: it passed a failing request on to further endpoints until one "
               f"answered; a retry policy needs a number, so {n - 1} retries ({n} tries) were written: a "
               f"request that fails {n} times now gets the last error")


@REGISTRY.annotation(
    "proxy-next-upstream", produces=('Retry',), area="retries", status=Status.LOSSY,
    maps_to="HTTPRoute rules[].retry{attempts, codes} (experimental >= 1.2)",
    remediation="On the standard channel, configure retries in your gateway's traffic policy.",
)
def proxy_next_upstream(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    words = value.text.split()
    unknown = [w for w in words if w not in CODES and w not in OTHER]
    if not words or unknown:
        value.invalid(report, f"unknown condition(s) {', '.join(unknown) or '(empty)'}; expected error, timeout, "
                              "invalid_header, http_500|502|503|504|403|404|429, non_idempotent or off")
        return
    if "off" in words:
        report.add(Code.ANNOTATION_TRANSLATED, location=value.origin.location, obj=value.origin_ref,
                   provider=PROVIDER, annotation=value.key, value=value.text,
                   detail="retries are off: no retry was emitted (Envoy-based gateways do not retry by default; "
                          "an NGINX-based gateway keeps its own default)")
        return
    codes, caveats = _conditions(words)
    own = (sibling(value, "proxy-next-upstream-tries") or "").strip()
    own_n = parse_int(own) if own.isdigit() else None
    tries = own_n if own_n is not None else setting_seconds(ctx, "proxy-next-upstream-tries", DEFAULT_TRIES)
    if tries == 0:
        tries, unlimited = _unlimited(ctx, "proxy-next-upstream-tries 0 in the ConfigMap")
        if not own.isdigit():
            caveats.append(unlimited)  # else the tries annotation's finding says so
    if tries <= 1:
        report.add(Code.ANNOTATION_TRANSLATED, location=value.origin.location, obj=value.origin_ref,
                   provider=PROVIDER, annotation=value.key, value=value.text,
                   detail=f"one try (proxy-next-upstream-tries 1{'' if own.isdigit() else ' in the ConfigMap'}): "
                          "nginx never passed a request on, and no retry was emitted")
        return
    value.attach(draft, Retry, attempts=tries - 1, codes=codes, caveat="; ".join(caveats))


@REGISTRY.annotation(
    "proxy-next-upstream-tries", produces=('Retry',), area="retries", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].retry.attempts = tries - 1 (experimental >= 1.2)",
)
def proxy_next_upstream_tries(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    text = value.text.strip()
    tries = parse_int(text) if text.isdigit() else None
    if tries is None:
        value.invalid(report, f"expected a whole number of tries, got {value.text!r}; the controller kept 3")
        return
    conditions = sibling(value, "proxy-next-upstream")
    words = (conditions or "").split()
    if not words or any(w not in CODES and w not in OTHER for w in words):
        # None or invalid on the Ingress: the controller's conditions (the ConfigMap's; default error timeout)
        conditions = None
        words = [w for w in str(ctx.settings.get("proxy-next-upstream", "error timeout")).split()
                 if w in CODES or w in OTHER]
    if "off" in words:
        report.add(Code.ANNOTATION_IGNORED, location=value.origin.location, obj=value.origin_ref, provider=PROVIDER,
                   annotation=value.key, value=value.text,
                   detail="proxy-next-upstream is off" + ("" if conditions is not None else " (in the ConfigMap)")
                          + ": there is no retry")
        return
    if tries == 1:
        report.add(Code.ANNOTATION_TRANSLATED, location=value.origin.location, obj=value.origin_ref,
                   provider=PROVIDER, annotation=value.key, value=value.text,
                   detail="one try: no retry was emitted")
        return
    codes, caveats = _conditions(words)
    if conditions is not None:
        caveats = []  # what the conditions change is proxy-next-upstream's finding
    if tries == 0:
        tries, unlimited = _unlimited(ctx, "0 tries")
        caveats.append(unlimited)
    value.attach(draft, Retry, attempts=tries - 1, codes=codes, caveat="; ".join(caveats))


@REGISTRY.annotation(
    "proxy-next-upstream-timeout", produces=('retry',), area="retries", status=Status.POLICY,
    maps_to="policy retry.budget",
    caveat="Gateway API retry has no time budget (backoff is the wait between attempts).",
    remediation="Set a per-try or total retry timeout in your gateway's traffic policy.",
    parse=parse_seconds_or_zero,
)
def proxy_next_upstream_timeout(seconds: int, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                                report: Report) -> None:
    if seconds == 0:
        report.add(Code.ANNOTATION_TRANSLATED, location=value.origin.location, obj=value.origin_ref,
                   provider=PROVIDER, annotation=value.key, value=value.text,
                   detail="0 is the controller's default (no time budget for retries)")
        return
    value.attach(draft, RetryBudgetPolicy, budget=duration(seconds))
