"""Cookie session affinity: ``affinity: cookie`` with the ``session-cookie-*`` keys.

The controller issues an HttpOnly cookie (name ``INGRESSCOOKIE`` unless ``session-cookie-name``) that
pins a client to an endpoint of the Ingress's upstreams; without ``session-cookie-expires`` /
``-max-age`` it is a session cookie (https://kubernetes.github.io/ingress-nginx/examples/affinity/cookie/).
Gateway API ``rules[].sessionPersistence`` (experimental) holds name, lifetime and timeout; the other
cookie attributes need implementation policies. ``affinity`` sorts before ``session-cookie-*``: its
handler reads the companions from the Ingress; each companion handler reports its own key.

PolicyIntent families defined here:

- ``session-cookie``: ``path``, ``domain``, ``sameSite`` (``None``/``Lax``/``Strict``) as strings,
  ``secure`` (bool) — attributes of the affinity cookie (kgateway BackendConfigPolicy ringHash
  hashPolicies[].cookie, Envoy Gateway consistentHash.cookie.attributes, Traefik sticky.cookie). The
  cookie name and lifetime are in the rule's SessionPersistence intent.
"""

from __future__ import annotations

from ingress2gw.plugin import (
    FROM_OUTCOME, AnnotationValue, Code, Context, IngressDraft, Report, SessionCookiePolicy, SessionPersistence, Status,
)
from ingress2gw.plugin import parse_int

from ingress2gw_nginx.annotations.canary import HEADER_NAME
from ingress2gw_nginx.values import sibling
from ingress2gw_nginx.annotations.timeouts import duration
from ingress2gw_nginx.registry import REGISTRY, unsupported

PROVIDER = "ingress-nginx"
CAVEAT = ("the gateway issues its own cookie (existing sessions lose stickiness once at cut-over) and may "
          "rebalance differently from nginx when endpoints change")


def _seconds(text: str | None) -> int | None:
    text = (text or "").strip()
    n = parse_int(text) if text.isdigit() else None
    return n if n is not None and n > 0 else None


def _enabled(value: AnnotationValue, ctx: Context) -> bool:
    return (sibling(value, "affinity") or "").strip() == "cookie"


@REGISTRY.annotation(
    "affinity", produces=('SessionPersistence',), area="affinity", status=Status.LOSSY,
    maps_to="HTTPRoute rules[].sessionPersistence{type: Cookie} (experimental)", caveat=CAVEAT,
    remediation="On the standard channel, configure cookie affinity in your gateway's backend policy.",
)
def affinity(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if value.text.strip() != "cookie":
        value.report(report, Code.ANNOTATION_INVALID_VALUE, "cookie is the only affinity type; the controller "
                     "ignored the annotation", at_value=True)
        return
    name = (sibling(value, "session-cookie-name") or "").strip()
    name = name if HEADER_NAME.match(name) else "INGRESSCOOKIE"
    ttl = _seconds(sibling(value, "session-cookie-max-age")) or _seconds(sibling(value, "session-cookie-expires"))
    caveats = [CAVEAT]
    if (sibling(value, "affinity-mode") or "balanced").strip() == "persistent":
        caveats.append("affinity-mode persistent (never rebalance) has no equivalent")
    # The cookie name and lifetime keys set fields of this intent: their findings follow its outcome.
    fields = {"session-cookie-name": "session_name", "session-cookie-max-age": "absolute_timeout"}
    if _seconds(sibling(value, "session-cookie-max-age")) is None:
        fields["session-cookie-expires"] = "absolute_timeout"  # max-age wins when both are set
    intent = SessionPersistence(type="Cookie", session_name=name, absolute_timeout=duration(ttl) if ttl else None,
                                lifetime="Permanent" if ttl else "Session", origin=value.origin,
                                caveat="; ".join(caveats), field_origins=value.field_origins(fields))
    for rule in draft.rules:
        rule.add(intent)


def _part(field: str):
    def handler(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
        if not _enabled(value, ctx):
            value.report(report, Code.ANNOTATION_IGNORED, f"{value.name} has no effect without affinity: cookie")
        elif field == "sessionName" and not HEADER_NAME.match(value.text.strip()):
            value.report(report, Code.ANNOTATION_INVALID_VALUE, "not a cookie name; INGRESSCOOKIE was used",
                         at_value=True)
        elif field != "sessionName" and _seconds(value.text) is None:
            value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected whole seconds", at_value=True)
        elif field == "absoluteTimeout" and value.name == "session-cookie-expires" and _seconds(
                sibling(value, "session-cookie-max-age")) is not None:
            value.report(report, Code.ANNOTATION_IGNORED, "session-cookie-max-age is set and wins over it")
        elif (sibling(value, "affinity") or "").strip() == "cookie":
            return FROM_OUTCOME  # a field of affinity's SessionPersistence: decided by the emitter's answer
        return None
    return handler


REGISTRY.annotation("session-cookie-name", produces=('SessionPersistence',), area="affinity", status=Status.TRANSLATED,
                    maps_to="HTTPRoute rules[].sessionPersistence.sessionName")(_part("sessionName"))
REGISTRY.annotation("session-cookie-max-age", produces=('SessionPersistence',), area="affinity", status=Status.TRANSLATED,
                    maps_to="HTTPRoute rules[].sessionPersistence.absoluteTimeout")(_part("absoluteTimeout"))
REGISTRY.annotation("session-cookie-expires", produces=('SessionPersistence',), area="affinity", status=Status.TRANSLATED,
                    maps_to="HTTPRoute rules[].sessionPersistence.absoluteTimeout (max-age wins)")(
    _part("absoluteTimeout"))


def _attribute(param: str):
    def handler(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
        if not _enabled(value, ctx):
            value.report(report, Code.ANNOTATION_IGNORED, f"{value.name} has no effect without affinity: cookie")
            return
        text = value.text.strip()
        v: object = text
        if param == "secure":
            if text.lower() not in ("true", "false"):
                value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected true or false", at_value=True)
                return
            v = text.lower() == "true"
        if param == "sameSite" and text not in ("None", "Lax", "Strict"):
            value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected None, Lax or Strict", at_value=True)
            return
        value.attach(draft, SessionCookiePolicy, **{param: v})
    return handler


for _key, _param in (("session-cookie-path", "path"), ("session-cookie-domain", "domain"),
                     ("session-cookie-samesite", "sameSite"), ("session-cookie-secure", "secure")):
    REGISTRY.annotation(_key, area="affinity", status=Status.POLICY, maps_to=f"policy session-cookie.{_param}",
                        caveat="Affinity cookie attributes other than name and lifetime have no Gateway API "
                               "field.")(_attribute(_param))


@REGISTRY.annotation("affinity-mode", area="affinity", status=Status.LOSSY, maps_to="",
                     caveat="persistent affinity (never rebalance) has no equivalent.")
def affinity_mode(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    text = value.text.strip()
    if text not in ("balanced", "persistent"):
        value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected balanced or persistent", at_value=True)
    elif not _enabled(value, ctx):
        value.report(report, Code.ANNOTATION_IGNORED, "affinity-mode has no effect without affinity: cookie")
    elif text == "balanced":
        value.report(report, Code.ANNOTATION_TRANSLATED, "balanced is the default; gateways rebalance similarly")
    else:
        value.report(report, Code.ANNOTATION_UNSUPPORTED, "persistent affinity (sessions never move to new "
                     "endpoints) has no Gateway API equivalent")

# What the keys read together with a main key produce (annotation × emitter matrix).
REGISTRY.set_produces(('session-cookie-path', 'session-cookie-domain', 'session-cookie-samesite', 'session-cookie-secure'), *('session-cookie',))
REGISTRY.set_produces(('affinity-mode',), *('SessionPersistence',))

unsupported("affinity-canary-behavior", "session-cookie-change-on-failure", "session-cookie-conditional-samesite-none",
            area="affinity")
