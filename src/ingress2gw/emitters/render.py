"""Rendering intents into HTTPRoute rule fields for a Gateway API version/channel.

``render_rule_intents`` returns the filters and rule-level fields for one rule, and which intents it
could not express (with the reason). The CEL rules of HTTPRoute shape what may be combined: each of
RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite and CORS at most once per
rule, never RequestRedirect together with URLRewrite, never a redirect rule with backends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gw.gwapi import Target
from ingress2gw.model.outcome import Dimension, Outcome, exact, lossy, needs_policy, needs_version, unsupported
from ingress2gw.model.ir import (
    CORS, BackendTLS, ExternalAuth, HeaderModifier, IdleTimeout, Intent, PolicyIntent, RequestMirror,
    RequestRedirect, Retry, SessionPersistence, Timeouts, URLRewrite,
)


@dataclass
class RenderedRule:
    filters: list[dict] = field(default_factory=list)
    fields: dict = field(default_factory=dict)
    used: list[Intent] = field(default_factory=list)
    #: (intent, outcome) for what this target cannot express: a refusal, or what differs where Gateway API
    #: holds the intent only in part (``IdleTimeout``). Implementation emitters render these with policies.
    left: list[tuple[Intent, Outcome]] = field(default_factory=list)

    def outcomes(self) -> list[tuple[Intent, Outcome]]:
        """The Gateway API rendering's answer for each intent: rendered, or the refusal."""
        return [(i, exact()) for i in self.used] + list(self.left)

    @property
    def redirects(self) -> bool:
        return any(f["type"] == "RequestRedirect" for f in self.filters)


def needs(target: Target, standard: str | None, experimental: str | None) -> Outcome | None:
    """None when the target has the feature; otherwise the refusal."""
    if standard and target.at_least(standard):
        return None
    if experimental and target.channel == "experimental" and target.at_least(experimental):
        return None
    parts = []
    if standard:
        parts.append(f"Gateway API >= {standard}")
    if experimental:
        parts.append(f"the experimental channel >= {experimental}")
    return needs_version(f"needs {' or '.join(parts)} (target: {target.version} {target.channel})")


def _path(kind: str, full: str | None, prefix: str | None) -> dict | None:
    if full is not None:
        return {"type": "ReplaceFullPath", "replaceFullPath": full}
    if prefix is not None:
        return {"type": "ReplacePrefixMatch", "replacePrefixMatch": prefix}
    return None


def _pairs(items) -> list[dict]:
    return [{"name": k, "value": v} for k, v in items]


def render_rule_intents(intents: list[Intent], target: Target, path_type: str) -> RenderedRule:
    out = RenderedRule()
    headers: dict[str, dict] = {}
    # A redirect answers before any rewrite would apply (nginx's `return` precedes the rewrite), so it is
    # placed first and a rewrite of the same rule is what gets left out.
    intents = sorted(intents, key=lambda i: not isinstance(i, RequestRedirect))
    for intent in intents:
        refusal = _render_one(intent, target, path_type, out, headers)
        if refusal is None:
            out.used.append(intent)
        else:
            out.left.append((intent, refusal if isinstance(refusal, Outcome) else unsupported(refusal)))
    for direction, hm in headers.items():
        key = "requestHeaderModifier" if direction == "request" else "responseHeaderModifier"
        body = {k: v for k, v in (("set", _pairs(hm["set"].items())), ("add", _pairs(hm["add"])),
                                   ("remove", sorted(hm["remove"]))) if v}
        out.filters.append({"type": key[0].upper() + key[1:], key: body})
    order = {"RequestRedirect": 0, "URLRewrite": 1, "RequestHeaderModifier": 2, "ResponseHeaderModifier": 3,
             "CORS": 4, "ExternalAuth": 5, "RequestMirror": 6}
    out.filters.sort(key=lambda f: order.get(f["type"], 9))
    return out


def idle_without_policy(intent: IdleTimeout) -> Outcome:
    """What a rule without an idle timeout does (Gateway API has none). Of the two renderings Gateway API
    offers, no bound changes fewer requests: only those whose backend falls silent, which the source cut off
    anyway; a bound on the whole response (``backendRequest``) would also cut every longer response that
    keeps streaming, which the source let through. Nothing is written for the intent (the ``Timeouts``
    beside it says ``request: 0s``, no bound on the whole response, as in the source)."""
    if not intent.written:
        return lossy("not written (--controller-defaults report): the gateway's own timeouts apply, which Gateway "
                     "API leaves to each implementation (Envoy-based gateways end every request after 15s in "
                     "total), where the source had no bound on the whole response and gave up only after "
                     f"{intent.read} without data from the backend", Dimension.TIMEOUT)
    return lossy(f"Gateway API has no idle timeout: nothing ends a response whose backend stays silent for "
                 f"{intent.read} any more (the source gave up then: 504, or a cut response); a bound on the whole "
                 f"response (timeouts.backendRequest) would instead cut every response streaming for longer than "
                 f"{intent.read}, which the source let through", Dimension.TIMEOUT)


def _has(out: RenderedRule, kind: str) -> bool:
    return any(f["type"] == kind for f in out.filters)


#: The Gateway API versions (standard channel, experimental channel) an intent type needs (see ``needs``).
_NEEDS: dict[type, tuple[str | None, str | None]] = {
    Timeouts: ("1.2", "1.0"), CORS: ("1.5", "1.3"), Retry: (None, "1.2"), SessionPersistence: (None, "1.2"),
    ExternalAuth: (None, "1.4"), BackendTLS: ("1.4", "1.2"),
}


def _render_one(intent: Intent, t: Target, path_type: str, out: RenderedRule,
                headers: dict) -> Outcome | str | None:
    """None when rendered; otherwise the refusal (a plain reason is "unsupported")."""
    if isinstance(intent, RequestRedirect):
        if intent.status_code not in t.redirect_codes:
            return needs_version(f"redirect status {intent.status_code} needs Gateway API >= 1.5 "
                                 f"(target: {t.version} {t.channel})")
        if _has(out, "RequestRedirect") or _has(out, "URLRewrite"):
            return "another redirect or rewrite already applies to this rule"
        if intent.replace_prefix_match is not None and path_type != "PathPrefix":
            return "ReplacePrefixMatch needs a PathPrefix match"
        rr: dict = {}
        if intent.scheme:
            rr["scheme"] = intent.scheme
        if intent.hostname:
            rr["hostname"] = intent.hostname
        path = _path("redirect", intent.replace_full_path, intent.replace_prefix_match)
        if path:
            rr["path"] = path
        if intent.port:
            rr["port"] = intent.port
        rr["statusCode"] = intent.status_code
        out.filters.append({"type": "RequestRedirect", "requestRedirect": rr})
        return None
    if isinstance(intent, URLRewrite):
        if _has(out, "RequestRedirect"):
            return "a redirect already answers this rule"
        if intent.replace_prefix_match is not None and path_type != "PathPrefix":
            return "ReplacePrefixMatch needs a PathPrefix match"
        existing = next((f for f in out.filters if f["type"] == "URLRewrite"), None)
        uw = existing["urlRewrite"] if existing else {}
        path = _path("rewrite", intent.replace_full_path, intent.replace_prefix_match)
        if (path and "path" in uw) or (intent.hostname and "hostname" in uw):
            return "another rewrite of the same part already applies to this rule"
        if intent.hostname:
            uw["hostname"] = intent.hostname
        if path:
            uw["path"] = path
        if existing is None:
            out.filters.append({"type": "URLRewrite", "urlRewrite": uw})
        return None
    if isinstance(intent, HeaderModifier):
        hm = headers.setdefault(intent.direction, {"set": {}, "add": [], "remove": set()})
        # Checked before merging: a modifier left out must leave nothing of itself in the filter (which
        # would then exceed the 16 entries the CRD allows per list).
        sets = {**hm["set"], **dict(intent.set)}
        if max(len(sets), len(hm["add"]) + len(intent.add), len(hm["remove"] | set(intent.remove))) > 16:
            return (f"the rule would have more than 16 {intent.direction} header changes of one kind (HTTPRoute "
                    "allows 16 per filter)")
        hm["set"] = sets
        hm["add"].extend(intent.add)
        hm["remove"].update(intent.remove)
        return None
    why = next((needs(t, *versions) for kind, versions in _NEEDS.items() if isinstance(intent, kind)), None)
    if why:
        return why
    if isinstance(intent, Timeouts):
        if intent.request:
            out.fields.setdefault("timeouts", {})["request"] = intent.request
        if intent.backend_request:
            out.fields.setdefault("timeouts", {})["backendRequest"] = intent.backend_request
        return None
    if isinstance(intent, IdleTimeout):
        return idle_without_policy(intent)
    if isinstance(intent, CORS):
        if _has(out, "CORS"):
            return "CORS is already configured for this rule"
        cors: dict = {}
        for key, value in (("allowOrigins", intent.allow_origins), ("allowMethods", intent.allow_methods),
                           ("allowHeaders", intent.allow_headers), ("exposeHeaders", intent.expose_headers)):
            if value:
                cors[key] = list(value)
        if intent.allow_credentials is not None:
            if t.minor == 3 and intent.allow_credentials is False:
                pass  # v1.3 only accepts true; false is the default
            else:
                cors["allowCredentials"] = intent.allow_credentials
        if intent.max_age is not None:
            cors["maxAge"] = intent.max_age
        out.filters.append({"type": "CORS", "cors": cors})
        return None
    if isinstance(intent, RequestMirror):
        if intent.percent is not None:
            why = needs(t, "1.3", "1.2")
            if why:
                return why
        mirror: dict = {"backendRef": {"name": intent.backend.name, "port": intent.backend.port}}
        if intent.percent is not None:
            mirror["percent"] = intent.percent
        out.filters.append({"type": "RequestMirror", "requestMirror": mirror})
        return None
    if isinstance(intent, Retry):
        retry: dict = {"attempts": intent.attempts}
        if intent.codes:
            retry["codes"] = sorted(set(intent.codes))
        if intent.backoff:
            retry["backoff"] = intent.backoff
        out.fields["retry"] = retry
        return None
    if isinstance(intent, SessionPersistence):
        sp: dict = {}
        if intent.session_name:
            sp["sessionName"] = intent.session_name
        if intent.absolute_timeout:
            sp["absoluteTimeout"] = intent.absolute_timeout
        sp["type"] = intent.type
        if intent.lifetime and intent.type == "Cookie":
            sp["cookieConfig"] = {"lifetimeType": intent.lifetime}
        out.fields["sessionPersistence"] = sp
        return None
    if isinstance(intent, ExternalAuth):
        ea: dict = {"protocol": intent.protocol,
                    "backendRef": {"name": intent.backend.name, "port": intent.backend.port}}
        if intent.protocol == "HTTP":
            http: dict = {}
            if intent.path:
                http["path"] = intent.path
            if intent.allowed_headers:
                http["allowedHeaders"] = list(intent.allowed_headers)
            if intent.allowed_response_headers:
                http["allowedResponseHeaders"] = list(intent.allowed_response_headers)
            if http:
                ea["http"] = http
        out.filters.append({"type": "ExternalAuth", "externalAuth": ea})
        return None
    if isinstance(intent, BackendTLS):
        return None  # rendered as a BackendTLSPolicy by the emitter, not a filter
    if isinstance(intent, PolicyIntent):
        return needs_policy(f"needs an implementation policy ({intent.family}); the standard emitter writes "
                            "Gateway API objects only")
    return f"{type(intent).__name__} has no Gateway API rendering"
