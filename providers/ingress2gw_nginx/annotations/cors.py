"""CORS: ``enable-cors`` and every ``cors-*`` key, read together into one CORS filter per rule.

The controller (internal/ingress/annotations/cors, https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#enable-cors)
answers preflight OPTIONS itself and echoes a matching Origin. Its defaults differ from Gateway API's,
so every field is emitted explicitly: origins ``*``, methods ``GET, PUT, POST, DELETE, PATCH, OPTIONS``,
the headers listed in ``DEFAULT_HEADERS``, credentials ``true`` and max-age ``1728000`` (Gateway API:
no credentials, 5s). An invalid value is ignored by the controller, which keeps the default.

``enable-cors`` sorts after the ``cors-*`` keys, and every key is read from the Ingress's own
annotations (``sibling``), so the handlers are stateless: ``enable-cors`` builds the filter, each
``cors-*`` handler reports its own key (ignored without ``enable-cors: "true"``).
"""

from __future__ import annotations

import re

from ingress2gw.plugin import FROM_OUTCOME, AnnotationValue, Code, Context, CORS, IngressDraft, Report, Status

from ingress2gw_nginx.values import TRUE, parse_bool, sibling
from ingress2gw_nginx.registry import REGISTRY

PROVIDER = "ingress-nginx"
DEFAULT_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS")
DEFAULT_HEADERS = ("DNT", "Keep-Alive", "User-Agent", "X-Requested-With", "If-Modified-Since", "Cache-Control",
                   "Content-Type", "Range", "Authorization")
DEFAULT_MAX_AGE = 1728000
GATEWAY_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
_ORIGIN = re.compile(r"^(https?)://((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:[0-9]{1,5})?$")
_METHODS = re.compile(r"^([A-Za-z]+,?\s?)+$")
_HEADERS = re.compile(r"^([A-Za-z0-9\-_]+,?\s?)+$")
_EXPOSE = re.compile(r"^(([A-Za-z0-9\-_]+|\*),?\s?)+$")



def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def parse(name: str, text: str) -> tuple[object, str]:
    """(parsed value or None, reason it is invalid, caveat) for one cors-* key."""
    if name == "cors-allow-origin":
        items = _split(text) or ["*"]
        if "*" in items:
            return ("*",), ""
        good = tuple(o for o in items if _ORIGIN.match(o))
        bad = [o for o in items if o not in good]
        if not good:
            return None, f"no origin in {text!r} is a scheme://host[:port] Gateway API accepts"
        return good, (f"origins {', '.join(bad)} are not valid Gateway API origins (http/https only, no null) "
                      "and were left out") if bad else ""
    if name == "cors-allow-methods":
        if not _METHODS.match(text.strip()):
            return None, f"{text!r} is not a comma-separated list of methods"
        methods = [m.upper() for m in _split(text)]
        bad = [m for m in methods if m not in GATEWAY_METHODS]
        return tuple(dict.fromkeys(m for m in methods if m in GATEWAY_METHODS)), (
            f"methods {', '.join(bad)} are not Gateway API CORS methods and were left out" if bad else "")
    if name == "cors-allow-headers":
        if not _HEADERS.match(text.strip()):
            return None, f"{text!r} is not a comma-separated list of header names"
        return tuple(dict.fromkeys(_split(text)))[:64], ""
    if name == "cors-expose-headers":
        if not _EXPOSE.match(text.strip()):
            return None, f"{text!r} is not a comma-separated list of header names"
        return tuple(dict.fromkeys(_split(text)))[:64], ""
    if name == "cors-allow-credentials":
        t = text.strip()
        if t in TRUE or t in ("0", "f", "F", "FALSE", "false", "False"):
            return t in TRUE, ""
        return None, f"expected true or false, got {text!r}"
    if name == "cors-max-age":
        if not re.fullmatch(r"[0-9]{1,9}", text.strip()):
            return None, f"expected whole seconds, got {text!r}"
        return max(int(text.strip()), 1), ""
    raise KeyError(name)


def _companion(value: AnnotationValue, ctx: Context, report: Report, maps_to: str):
    common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
    if (sibling(value, "enable-cors") or "").strip() not in TRUE:
        report.add(Code.ANNOTATION_IGNORED, location=value.origin.location, **common,
                   detail=f"{value.name} has no effect without enable-cors: \"true\"")
        return
    parsed, why = parse(value.name, value.text)
    if parsed is None:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), **common,
                   detail=f"{why}; the controller used its default")
    elif why:
        report.add(Code.ANNOTATION_LOSSY, location=value.origin.location, **common, detail=why)
    else:
        return FROM_OUTCOME  # a field of enable-cors's CORS intent: decided by the emitter's answer
    return None


def _declare(name: str, field: str) -> None:
    maps_to = f"HTTPRoute rules[].filters[].cors.{field}"

    def handler(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report):
        return _companion(value, ctx, report, field)

    handler.__name__ = name.replace("-", "_")
    REGISTRY.annotation(name, area="cors", status=Status.TRANSLATED, maps_to=maps_to)(handler)


for _name, _field in (("cors-allow-origin", "allowOrigins"), ("cors-allow-methods", "allowMethods"),
                      ("cors-allow-headers", "allowHeaders"), ("cors-expose-headers", "exposeHeaders"),
                      ("cors-allow-credentials", "allowCredentials"), ("cors-max-age", "maxAge")):
    _declare(_name, _field)


@REGISTRY.annotation(
    "enable-cors", produces=('CORS',), area="cors", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].filters[].cors (standard >= 1.5, experimental >= 1.3)",
    remediation="Before Gateway API 1.5, configure CORS in your gateway's policy (Envoy Gateway SecurityPolicy, "
                "kgateway TrafficPolicy).",
)
def enable_cors(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if not parse_bool(value, report):
        if value.text.strip() in ("0", "f", "F", "FALSE", "false", "False"):
            report.add(Code.ANNOTATION_TRANSLATED, location=value.origin.location, obj=value.origin_ref,
                       provider=PROVIDER, annotation=value.key, value=value.text, detail="CORS is off (the default)")
        return
    got = {}
    for name in ("cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-expose-headers",
                 "cors-allow-credentials", "cors-max-age"):
        text = sibling(value, name)
        got[name] = parse(name, text)[0] if text is not None else None
    origins = got["cors-allow-origin"] or ("*",)
    caveats = []
    if any("*." in o for o in origins):
        caveats.append("a wildcard origin matches one DNS label in nginx, any number of labels in Gateway API")
    intent = CORS(
        allow_origins=origins,
        allow_methods=got["cors-allow-methods"] or DEFAULT_METHODS,
        allow_headers=got["cors-allow-headers"] or DEFAULT_HEADERS,
        expose_headers=got["cors-expose-headers"] or (),
        allow_credentials=True if got["cors-allow-credentials"] is None else got["cors-allow-credentials"],
        max_age=got["cors-max-age"] or DEFAULT_MAX_AGE,
        origin=value.origin, caveat="; ".join(caveats),
        field_origins=value.field_origins({"cors-allow-origin": "allow_origins", "cors-allow-methods": "allow_methods",
                                           "cors-allow-headers": "allow_headers",
                                           "cors-expose-headers": "expose_headers",
                                           "cors-allow-credentials": "allow_credentials", "cors-max-age": "max_age"}),
    )
    for rule in draft.rules:
        rule.add(intent)

# What the keys read together with a main key produce (annotation × emitter matrix).
REGISTRY.set_produces(('cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age'), *('CORS',))
