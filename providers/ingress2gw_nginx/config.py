"""The controller ConfigMap: global defaults every Ingress inherits, even one without annotations.

https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/

``configure`` finds the ConfigMap among the inputs — the file given with ``--controller-config``, else a
ConfigMap named like the controller's (``ingress-nginx-controller``, ``nginx-configuration``...) — and
stores the keys the provider reads in ``ctx.settings`` **under their ConfigMap names**, typed:

- booleans (``ssl-redirect``, ``use-forwarded-headers``, ``allow-snippet-annotations``, ``hsts``...) → bool
  (Go ``strconv.ParseBool`` spelling, as the controller decodes them);
- whole numbers (``http-redirect-code``, ``proxy-read-timeout`` in seconds, ``hsts-max-age``...) → int;
- NGINX sizes (``proxy-body-size``, ``client-body-buffer-size``, ``proxy-buffer-size``) → int bytes
  (1024-based, ``0`` = unlimited); the raw text stays under ``<key>@text`` for messages;
- CIDR lists (``whitelist-source-range``, ``denylist-source-range``, ``block-cidrs``) → tuple of str;
- everything else → str (``annotations-risk-level``, ``global-auth-url``, ``proxy-next-upstream``...).

Every key of ``DEFAULTS`` is always present (the controller default when the ConfigMap does not set it),
so readers never need their own fallback. ``report.assumptions["ingress-nginx"]`` lists what was assumed
or taken from the ConfigMap; the pipeline turns it into one ``provider.defaults`` finding.
"""

from __future__ import annotations

import re

from ingress2gw.plugin import Code, Context, KubeObject, ObjectRef, Report
from ingress2gw.plugin import parse_int

from ingress2gw_nginx.values import TRUE

#: ConfigMap names the controller's Helm chart and static manifests use (in preference order).
CONFIGMAP_NAMES = ("ingress-nginx-controller", "nginx-configuration", "nginx-ingress-controller",
                   "ingress-nginx")

#: Keys the translation reads, with the controller's defaults (config.go NewDefault, v1.15) and type.
DEFAULTS: dict[str, tuple[str, str]] = {
    # HTTPS redirect and HSTS
    "ssl-redirect": ("true", "bool"),
    "force-ssl-redirect": ("false", "bool"),
    "http-redirect-code": ("308", "int"),
    "no-tls-redirect-locations": ("/.well-known/acme-challenge", "str"),
    "hsts": ("true", "bool"),
    "hsts-max-age": ("31536000", "int"),
    "hsts-include-subdomains": ("true", "bool"),
    "hsts-preload": ("false", "bool"),
    # body, buffers, timeouts, retries
    "proxy-body-size": ("1m", "size"),
    "client-body-buffer-size": ("8k", "size"),
    "proxy-buffer-size": ("4k", "size"),
    "proxy-buffering": ("off", "str"),
    "proxy-request-buffering": ("on", "str"),
    "proxy-connect-timeout": ("5", "int"),
    "proxy-read-timeout": ("60", "int"),
    "proxy-send-timeout": ("60", "int"),
    "proxy-next-upstream": ("error timeout", "str"),
    "proxy-next-upstream-tries": ("3", "int"),
    "proxy-next-upstream-timeout": ("0", "int"),
    "retry-non-idempotent": ("false", "bool"),
    # client IP
    "use-forwarded-headers": ("false", "bool"),
    "use-proxy-protocol": ("false", "bool"),
    "enable-real-ip": ("false", "bool"),
    "forwarded-for-header": ("X-Forwarded-For", "str"),
    "proxy-real-ip-cidr": ("0.0.0.0/0", "str"),
    # access control, auth, limits
    "whitelist-source-range": ("", "cidrs"),
    "denylist-source-range": ("", "cidrs"),
    "block-cidrs": ("", "cidrs"),
    "global-auth-url": ("", "str"),
    "global-auth-method": ("", "str"),
    "global-auth-signin": ("", "str"),
    "global-auth-response-headers": ("", "str"),
    "limit-req-status-code": ("503", "int"),
    "limit-conn-status-code": ("503", "int"),
    # response headers the custom-headers annotation may set (none by default)
    "global-allowed-response-headers": ("", "str"),
    # annotation policy of the controller
    "allow-snippet-annotations": ("false", "bool"),
    "annotations-risk-level": ("High", "str"),
    "allow-cross-namespace-resources": ("false", "bool"),
    # WAF and observability
    "enable-modsecurity": ("false", "bool"),
    "enable-owasp-modsecurity-crs": ("false", "bool"),
    "enable-opentelemetry": ("false", "bool"),
    "disable-access-log": ("false", "bool"),
}

#: The defaults listed in the provider.defaults finding when no ConfigMap was given (the ones that
#: change what every Ingress does).
ASSUMED = ("ssl-redirect", "http-redirect-code", "hsts", "proxy-body-size", "proxy-connect-timeout",
           "proxy-read-timeout", "proxy-send-timeout", "proxy-next-upstream", "proxy-next-upstream-tries",
           "use-forwarded-headers", "use-proxy-protocol", "allow-snippet-annotations", "annotations-risk-level",
           "allow-cross-namespace-resources")

#: Global settings with an effect on every Ingress that ingress2gw does not translate (reported once).
_GLOBAL_UNTRANSLATED = {
    "global-auth-url": "external authentication for every location (opt-out per Ingress with "
                       "enable-global-auth: \"false\"); needs a Gateway-level ext-auth policy",
    "whitelist-source-range": "an IP allow-list for every Ingress without its own allowlist-source-range; "
                              "needs a Gateway-level authorization policy",
    "denylist-source-range": "an IP deny-list for every Ingress without its own denylist-source-range; "
                             "needs a Gateway-level authorization policy",
    "block-cidrs": "a deny-list for every request, not overridable; needs a Gateway-level authorization policy",
    "block-user-agents": "requests denied by User-Agent; needs a Gateway-level authorization policy",
    "block-referers": "requests denied by Referer; needs a Gateway-level authorization policy",
    "custom-http-errors": "upstream errors replaced by the default backend's pages for every Ingress",
    "enable-modsecurity": "the ModSecurity WAF for every location; needs an implementation WAF",
    "use-gzip": "gzip compression of responses; needs an implementation compression policy",
    "enable-brotli": "brotli compression of responses; needs an implementation compression policy",
}
_GLOBAL_SNIPPETS = ("main-snippet", "http-snippet", "server-snippet", "location-snippet", "stream-snippet",
                    "modsecurity-snippet", "global-auth-snippet")

_SIZE = re.compile(r"^\s*(\d+)\s*([kKmMgG]?)\s*$")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")
RISK_LEVELS = ("Low", "Medium", "High", "Critical")


def parse_size(text: str) -> int | None:
    """An NGINX size (``512``, ``8k``, ``1m``, ``2g``; 1024-based) in bytes; None when invalid."""
    m = _SIZE.match(text or "")
    if not m:
        return None
    n = parse_int(m.group(1))  # None: more digits than a number may have
    if n is None:
        return None
    return n * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[m.group(2).lower()]


def parse_cidrs(text: str) -> tuple[str, ...] | None:
    """A comma list of IPs/CIDRs, normalised (``10.0.0.1`` → ``10.0.0.1/32``); None when an entry is invalid."""
    import ipaddress

    out = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            return None
    return tuple(out)


def _typed(kind: str, text: str):
    text = text.strip()
    if kind == "bool":
        if text in TRUE:
            return True
        if text in _FALSE:
            return False
        return None
    if kind == "int":
        return parse_int(text) if re.fullmatch(r"-?\d+", text) else None
    if kind == "size":
        return parse_size(text)
    if kind == "cidrs":
        return parse_cidrs(text)
    return text


def find_configmap(ctx: Context) -> KubeObject | None:
    """The controller ConfigMap: the one from --controller-config, else one with a conventional name (in that
    order of names; where several namespaces have it, the first namespace by name, never the first in the input)."""
    maps = sorted(ctx.inventory.others.get("ConfigMap", []), key=lambda cm: (cm.namespace, cm.name))
    given = ctx.options.controller_config
    if given:
        for cm in maps:
            if cm.doc.source == given:
                return cm
    for name in CONFIGMAP_NAMES:
        for cm in maps:
            if cm.name == name:
                return cm
    return None


def configure(ctx: Context, report: Report) -> None:
    cm = find_configmap(ctx)
    data: dict = {}
    if cm is not None:
        raw = cm.doc.obj.get("data")
        data = raw if isinstance(raw, dict) else {}
    taken: list[str] = []
    for key, (default, kind) in DEFAULTS.items():
        value = _typed(kind, default)
        if key in data:
            raw_value = data[key]
            text = (("true" if raw_value else "false") if isinstance(raw_value, bool) else str(raw_value))
            parsed = _typed(kind, text)
            if key == "http-redirect-code" and parsed not in (301, 302, 307, 308):
                parsed = None
            if key == "annotations-risk-level" and parsed not in RISK_LEVELS:
                parsed = None
            if parsed is None:
                report.add(Code.ANNOTATION_INVALID_VALUE, location=cm.doc.locate(("data", key)),
                           obj=cm.ref, provider="ingress-nginx", annotation=key, value=text,
                           detail=f"ConfigMap {cm.namespace}/{cm.name} key {key}: {text!r} is not a valid "
                                  f"{_KIND_TEXT[kind]}; the controller default {default!r} was assumed")
            else:
                value = parsed
                taken.append(f"{key}={text}")
                if kind == "size":
                    ctx.settings[f"{key}@text"] = text.strip()
        elif kind == "size":
            ctx.settings[f"{key}@text"] = default
        ctx.settings[key] = value
    if cm is None:
        report.assumptions.setdefault("ingress-nginx", [
            f"{k}={DEFAULTS[k][0]}" + _NOTES.get(k, "") for k in ASSUMED])
        return
    ctx.settings["configmap"] = f"{cm.namespace}/{cm.name}"
    head = f"ConfigMap {cm.namespace}/{cm.name}: " + (", ".join(taken) if taken else "no key the translation reads")
    report.assumptions["ingress-nginx"] = [head, "other keys: controller defaults (" + ", ".join(
        f"{k}={DEFAULTS[k][0]}" for k in ASSUMED if k not in data) + ")"]
    _report_globals(cm, data, ctx, report)


_KIND_TEXT = {"bool": "boolean", "int": "whole number", "size": "NGINX size (like 8k or 1m)",
              "cidrs": "comma list of IPs/CIDRs", "str": "value"}
_NOTES = {
    "proxy-body-size": " (413 above; applies to every Ingress without proxy-body-size)",
    "proxy-read-timeout": " (seconds)",
    "proxy-send-timeout": " (seconds)",
    "proxy-connect-timeout": " (seconds)",
    "use-forwarded-headers": " (client IP = TCP peer for allow-lists and rate limits)",
    "allow-snippet-annotations": " (snippet annotations refused)",
    "annotations-risk-level": " (Critical annotations, all snippets, refused)",
}


def _report_globals(cm: KubeObject, data: dict, ctx: Context, report: Report) -> None:
    """ConfigMap keys with an effect on every Ingress that no translation carries: one finding each."""
    ref = ObjectRef("ConfigMap", cm.namespace, cm.name)
    for key in sorted(data):
        text = data[key] if isinstance(data[key], str) else str(data[key])
        if not text.strip() or text.strip() in _FALSE:
            continue
        loc = cm.doc.locate(("data", key), part="key")
        if key in _GLOBAL_SNIPPETS:
            report.add(Code.ANNOTATION_SECURITY, location=loc, obj=ref, provider="ingress-nginx", annotation=key,
                       value=text, detail=f"ConfigMap key {key} injects raw NGINX configuration into every "
                                          "server; it is never translated into anything that runs code",
                       remedy="Rebuild what it does with route filters or implementation policies (NGINX "
                              "Gateway Fabric: SnippetsPolicy, only when snippets are enabled).")
        elif key in _GLOBAL_UNTRANSLATED:
            report.add(Code.ANNOTATION_POLICY, location=loc, obj=ref, provider="ingress-nginx", annotation=key,
                       value=text, detail=f"ConfigMap key {key}: {_GLOBAL_UNTRANSLATED[key]}; not translated",
                       remedy="Configure the equivalent Gateway-level policy of your implementation by hand.")


def snippets_refused(ctx: Context) -> str:
    """Why the controller (as configured) refused snippet annotations, or "" when it applied them."""
    source = (f"ConfigMap {ctx.settings['configmap']}" if ctx.settings.get("configmap")
              else "the default controller configuration")
    if not ctx.settings.get("allow-snippet-annotations", False):
        return (f"with {source} (allow-snippet-annotations: false, the default since v1.9) the controller "
                "refused it, so it most likely never ran")
    level = ctx.settings.get("annotations-risk-level", "High")
    if level != "Critical":
        return (f"with {source} (annotations-risk-level: {level}; snippets are rated Critical) the controller "
                "refused it, so it most likely never ran")
    return ""
