"""kgateway access control: IP lists (TrafficPolicy.acl), basic auth, external auth (a GatewayExtension of type
ExtAuth that the route's TrafficPolicy references), and client certificates (ListenerPolicy on one listener).

https://kgateway.dev/docs/envoy/latest/reference/api/#trafficpolicyspec
https://kgateway.dev/docs/envoy/latest/reference/api/#gatewayextensionspec
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

from ingress2gw.emitters.naming import dns_subdomain, fit, host_slug, short_hash
from ingress2gw.model.ir import ExternalAuth, PolicyIntent, RuleDraft
from ingress2gw.model.policies import (
    BasicAuthPolicy, ClientCertForwardPolicy, ClientCertPolicy, ExtAuthPolicy, GlobalAuthOptOutPolicy, IPAllowPolicy,
    IPDenyPolicy, IPListPolicy,
)

TP = "TrafficPolicy"
LP = "ListenerPolicy"
KG_GROUP = "gateway.kgateway.dev"
_MAX_CIDRS = 256

# -- IP allow and deny lists ----------------------------------------------------------------------------------


def _networks(intents: list[IPListPolicy]) -> list | None:
    nets = []
    for i in intents:
        for c in i.cidrs or ():
            try:
                nets.append(ipaddress.ip_network(str(c).strip(), strict=False))
            except ValueError:
                return None
    return nets


def _intersect(a: list, b: list) -> list:
    """Addresses in some network of ``a`` and in some network of ``b`` (CIDRs nest or are disjoint)."""
    out = []
    for x in a:
        for y in b:
            if x.version == y.version and (x.subnet_of(y) or y.subnet_of(x)):
                out.append(x if x.prefixlen >= y.prefixlen else y)
    return out


def _cidr(net) -> str:
    # The CRD's IPv6 pattern needs a group next to "::" when the address is all zeros.
    return "0::/" + str(net.prefixlen) if net.version == 6 and int(net.network_address) == 0 else str(net)


def _rules(action: str, nets: list) -> list[dict]:
    cidrs = [_cidr(n) for n in sorted(set(nets), key=lambda n: (n.version, n))]
    return [{"action": action, "cidrs": cidrs[i:i + _MAX_CIDRS]} for i in range(0, len(cidrs), _MAX_CIDRS)]


def ip_access(em, intent: IPListPolicy, rule: RuleDraft):
    """One acl for every ip-allow and ip-deny intent of the rule (each renders the same piece).

    nginx checks deny lines, then allow lines, then denies everything else: a client is let in when no deny
    range holds it and some allow range does. kgateway's acl takes the longest matching prefix whatever the
    order, so allow ranges inside a deny range are dropped (the deny range already answered them), and
    several allow lists (Traefik middlewares in a chain) are intersected, since each must let the client in.
    """
    allows = [i for i in rule.intents if isinstance(i, IPAllowPolicy)]
    denies = [i for i in rule.intents if isinstance(i, IPDenyPolicy)]
    allow_lists = [_networks([i]) for i in allows]
    deny = _networks(denies)
    if deny is None or any(a is None for a in allow_lists):
        return "an entry of the list is not an IP address or CIDR"
    allow = allow_lists[0] if allow_lists else []
    for more in allow_lists[1:]:
        allow = _intersect(allow, more)
    allow = [a for a in allow if not any(a.version == d.version and a.subnet_of(d) for d in deny)]
    spec: dict = {"defaultAction": "deny" if allows else "allow"}
    rules = _rules("deny", deny) + _rules("allow", allow)
    if len(rules) > 256:
        return "more than 65536 ranges"
    if rules:
        spec["rules"] = rules
    statuses = sorted({i.status or 403 for i in allows + denies})
    spec["denyResponse"] = {"statusCode": statuses[0]}
    notes = []
    if len(statuses) > 1:
        notes.append(f"one status for every rejection ({statuses[0]}); the lists answered {statuses}")
    if allows and not allow:
        notes.append("no address is in every allow list (and outside the deny list): every request is rejected")
    depth = max((i.xff_depth or 0 for i in allows), default=0)
    pieces = [em.piece(TP, "route", {"acl": spec})]
    if depth:
        notes.append(f"the client address was the X-Forwarded-For entry at depth {depth}; for the same in kgateway "
                     f"set ListenerPolicy default.httpSettings.xffNumTrustedHops: {depth} on the Gateway "
                     "(for every route)")
    else:
        pieces += client_address(em, intent, {i.client_ip or "tcp-peer" for i in allows + denies})
    if any(i.excluded_ips for i in allows):
        notes.append("ipStrategy.excludedIPs has no per-route equivalent (ListenerPolicy httpSettings."
                     "xffTrustedCIDRs is Gateway-wide)")
    if notes:
        em.caveat(intent, "; ".join(notes))
    return pieces


def client_address(em, intent: PolicyIntent, sources: set[str]) -> list:
    """Gateway-wide client address detection, for a controller-wide setting (ingress-nginx's ConfigMap
    use-forwarded-headers or use-proxy-protocol) that the IP list relied on."""
    pieces = []
    if "x-forwarded-for" in sources:
        # nginx's real_ip with proxy-real-ip-cidr 0.0.0.0/0 (the default) and real_ip_recursive takes the
        # leftmost X-Forwarded-For address; Envoy's xffTrustedCIDRs with every address trusted does the same.
        pieces.append(em.piece(LP, "gateway", {"default": {"httpSettings": {
            "useRemoteAddress": False, "xffTrustedCIDRs": ["0.0.0.0/0", "0::/0"]}}}))
        em.caveat(intent, "the Gateway takes the client address from X-Forwarded-For sent by any peer (ListenerPolicy "
                          "xffTrustedCIDRs 0.0.0.0/0, as the controller's default proxy-real-ip-cidr); narrow it to "
                          "your load balancers")
    if "proxy-protocol" in sources:
        pieces.append(em.piece(LP, "gateway", {"default": {"proxyProtocol": {}}}))
        em.caveat(intent, "the Gateway requires the PROXY protocol header on every connection (ListenerPolicy "
                          "proxyProtocol), as the controller did: the load balancer of the kgateway Service must "
                          "send it")
    return pieces


# -- basic auth ----------------------------------------------------------------------------------------------------

_KEYS = {"auth-file": "auth", "users": "users"}


def basic_auth(em, intent: BasicAuthPolicy, rule: RuleDraft):
    if (intent.type or "basic") != "basic":
        return "kgateway has HTTP Basic authentication only (TrafficPolicy.basicAuth); digest has no equivalent"
    secret = str(intent.secret or "")
    ns, _, name = secret.rpartition("/")
    if not name:
        return "basic-auth without a Secret"
    kind = intent.secret_type or "auth-file"
    if kind not in _KEYS:
        return (f"kgateway reads one htpasswd file from one key of a Secret; a {kind} Secret (one key per user) "
                "must be rebuilt as an htpasswd file with {SHA} hashes and referenced instead")
    ref = {"name": name, "key": _KEYS[kind]}
    if ns and ns != rule.origin.namespace:
        ref["namespace"] = ns
    notes = ["Envoy accepts only {SHA} password hashes: htpasswd lines hashed with apr1, bcrypt or crypt never "
             f"match, so re-hash those passwords in key {_KEYS[kind]!r} of Secret {secret}"]
    if kind == "users":
        notes.append("a kubernetes.io/basic-auth Secret (username/password keys) is not read: use key 'users'")
    if intent.realm:
        notes.append(f"the realm {intent.realm!r} is not configurable")
    if intent.header_field:
        notes.append(f"the user name is not passed to the backend in {intent.header_field}")
    spec: dict = {"basicAuth": {"secretRef": ref}}
    if intent.remove_header:
        # Header modifiers run in kgateway's route stage, after authentication.
        spec["headerModifiers"] = {"request": {"remove": ["Authorization"]}}
    em.caveat(intent, "; ".join(notes))
    return [em.piece(TP, "route", spec)]


# -- external auth ---------------------------------------------------------------------------------------------------

#: Headers nginx added to its auth subrequest, as Envoy format strings (``$request_uri`` is ``:path``).
_NGINX_HEADERS = {"X-Original-URL": "%REQ(x-forwarded-proto)%://%REQ(:authority)%%REQ(:path)%",
                  "X-Original-Method": "%REQ(:method)%", "X-Auth-Request-Redirect": "%REQ(:path)%"}
#: Headers Traefik's forwardAuth added.
_TRAEFIK_HEADERS = {"X-Forwarded-Method": "%REQ(:method)%", "X-Forwarded-Uri": "%REQ(:path)%",
                    "X-Forwarded-Host": "%REQ(:authority)%"}
_VARIABLES = {"$request_uri": "%REQ(:path)%", "$scheme": "%REQ(x-forwarded-proto)%", "$host": "%REQ(:authority)%",
              "$http_host": "%REQ(:authority)%"}


def as_ext_auth(intent: ExternalAuth) -> ExtAuthPolicy:
    """The ext-auth policy that does what an HTTP ExternalAuth filter asks, for the same annotation."""
    b = intent.backend
    url = f"http://{b.name}.{b.namespace}.svc.cluster.local:{b.port}{intent.path or '/'}"
    return ExtAuthPolicy(url=url, service=f"{b.namespace}/{b.name}:{b.port}", path=intent.path or "/",
                         request_headers=tuple(intent.allowed_headers),
                         response_headers=tuple(intent.allowed_response_headers), origin=intent.origin)


def absorb_external_auth(rule: RuleDraft, converted: dict[int, ExtAuthPolicy]) -> None:
    """kgateway enforces external auth through a GatewayExtension; the HTTPRoute ExternalAuth filter is not among
    the Gateway API features kgateway v2.4 lists, so an HTTP ExternalAuth intent is rendered as the equivalent
    ext-auth policy (same annotation, reported once). When the annotation also produced an ext-auth policy (it
    holds what the filter cannot), the filter intent simply leaves the rule.

    The rule's intents are replaced before anything renders them; ``converted`` keeps one policy per filter
    intent, shared by the rules that shared the filter."""
    origins = [i.origin for i in rule.intents if isinstance(i, ExtAuthPolicy)]
    out = []
    for i in rule.intents:
        if isinstance(i, ExternalAuth) and i.protocol == "HTTP" and i.backend.port is not None:
            if i.origin in origins:
                continue
            i = converted.setdefault(id(i), as_ext_auth(i))
        out.append(i)
    rule.intents = out


def _source(origin) -> str:
    key = (origin.annotation if origin else "") or ""
    return "traefik" if "forwardAuth" in key else "ingress-nginx" if key.endswith("auth-url") else ""


def _extension(em, rule: RuleDraft, intent, backend_ref: dict, path: str, forward: list[str], to_backend: list[str],
               add: dict[str, str]) -> list:
    http: dict = {"backendRef": backend_ref}
    if path and path != "/":
        http["pathPrefix"] = path
    if add:
        http["authorizationRequest"] = {"headersToAdd": dict(sorted(add.items()))}
    if to_backend:
        http["authorizationResponse"] = {"headersToBackend": list(to_backend)}
    ext: dict = {"httpService": http, "statusOnError": 500}
    if forward:
        ext["headersToForward"] = list(dict.fromkeys(h.lower() for h in forward))
    spec = {"type": "ExtAuth", "extAuth": ext}
    base = backend_ref["name"]
    name = fit(dns_subdomain(f"{base}-extauth-{short_hash(json.dumps(spec, sort_keys=True))}"))
    em.extra("GatewayExtension", rule.origin.namespace, name, spec, rule)
    em.also(intent, "GatewayExtension")
    return [em.piece(TP, "route", {"extAuth": {"extensionRef": {"name": name}}})]


def _backend_for_url(em, intent, rule: RuleDraft, url: str) -> dict | str:
    """The backendRef for an auth URL: its cluster Service, or a Backend for a host outside the cluster."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"the auth URL {url!r} has an invalid port"
    service = intent.service
    if service:  # the provider names the Service when the URL is one (svc.ns[.svc[.cluster.local]])
        ns_name, _, port_text = str(service).rpartition(":")
        ns, _, name = ns_name.partition("/")
        port = int(port_text)
        if parts.scheme == "https":
            # As the source did: verified against the system CAs, or not verified (nginx's auth_request).
            tls = ({"sni": host, "wellKnownCACertificates": "System"} if intent.verify
                   else {"insecureSkipVerify": True, "sni": host})
            em.service_piece(ns, name, em.piece("BackendConfigPolicy", "service", {"tls": tls}), rule)
        ref = {"name": name, "port": port}
        if ns != rule.origin.namespace:
            ref["namespace"] = ns
        return ref
    if not host:
        return f"the auth URL {url!r} has no host"
    name = dns_subdomain(f"extauth-{host_slug(host)}-{port}")
    em.extra("Backend", rule.origin.namespace, name, {"type": "Static", "static": {"hosts": [
        {"host": host, "port": port}]}}, rule)
    em.also(intent, "Backend")
    if parts.scheme == "https":
        # As the source did: nginx's auth_request does not verify the auth server; Traefik does by default.
        tls = ({"sni": host, "wellKnownCACertificates": "System", "verifySubjectAltNames": [host]} if intent.verify
               else {"sni": host, "insecureSkipVerify": True})
        em.extra("BackendConfigPolicy", rule.origin.namespace, name, {
            "targetRefs": [{"group": KG_GROUP, "kind": "Backend", "name": name}], "tls": tls}, rule)
    return {"group": KG_GROUP, "kind": "Backend", "name": name}


def ext_auth(em, intent: ExtAuthPolicy, rule: RuleDraft):
    url = str(intent.url or "")
    if "$" in url:
        return f"the auth URL {url!r} uses NGINX variables; a GatewayExtension names one fixed service"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"the auth URL {url!r} is not an http(s) URL"
    ref = _backend_for_url(em, intent, rule, url)
    if isinstance(ref, str):
        return ref
    traefik = _source(intent.origin) == "traefik"
    notes = []
    add = dict(_TRAEFIK_HEADERS if traefik else _NGINX_HEADERS)
    redirect = intent.request_redirect
    if redirect:
        value = str(redirect)
        for var, fmt in _VARIABLES.items():
            value = value.replace(var, fmt)
        if "$" in value:
            notes.append(f"X-Auth-Request-Redirect {redirect!r} uses NGINX variables; the request path is sent")
        else:
            add["X-Auth-Request-Redirect"] = value
    path = parts.path or "/"
    if traefik:
        forward = list(intent.request_headers or ()) or ["cookie", "x-forwarded-for", "x-forwarded-proto"]
        notes.append(f"the auth request path is {path.rstrip('/')}<request path> (Traefik called {path} as written, "
                     "the request URI in X-Forwarded-Uri, which is kept)")
    else:
        forward = ["cookie", *(intent.request_headers or ())]
        notes.append(f"the auth request path is {path.rstrip('/')}<request path> (nginx called {path} as written; "
                     "the request URI is in X-Original-URL and X-Auth-Request-Redirect, as nginx sent it)")
    forward = list(dict.fromkeys(h.lower() for h in forward))
    notes.append("only Host, Method, Path, Content-Length, Authorization and " + ", ".join(forward) + " reach the "
                 "auth service (the source sent every request header): add the others it reads to the "
                 "GatewayExtension's extAuth.headersToForward")
    if parts.query:
        notes.append(f"the query ?{parts.query} of the auth URL is not sent")
    if intent.signin:
        notes.append(f"unauthenticated browsers get the auth service's answer (401) instead of a redirect to "
                     f"{intent.signin}; use kgateway's OAuth2 GatewayExtension or an auth service that "
                     "answers 302 itself")
        em.refuse_field(intent, "signin", notes[-1])
        if intent.signin_redirect_param:
            em.refuse_field(intent, "signin_redirect_param", "there is no sign-in redirect to carry it")
    if intent.method:
        notes.append(f"the auth request uses the client's method, not {intent.method}")
        em.refuse_field(intent, "method", notes[-1])
    if intent.cache_key or intent.cache_duration:
        notes.append("auth responses are not cached: every request reaches the auth service")
    if intent.always_set_cookie:
        notes.append("Set-Cookie from the auth service is not passed to the client")
    if intent.proxy_set_headers:
        notes.append(f"the headers of ConfigMap {intent.proxy_set_headers} are not added: list them in the "
                     "GatewayExtension's extAuth.httpService.authorizationRequest.headersToAdd")
    em.caveat(intent, "; ".join(notes))
    return _extension(em, rule, intent, ref, path, forward, list(intent.response_headers or ()), add)


def external_auth(em, intent: ExternalAuth, rule: RuleDraft):
    """A gRPC ExternalAuth filter the route cannot hold (HTTP ones were converted to ext-auth policies)."""
    b = intent.backend
    if b.port is None:
        return "the auth Service has no port"
    if intent.protocol == "HTTP":
        policy = as_ext_auth(intent)
        return ext_auth(em, policy, rule)  # same origin: its answers are the annotation's
    ref = {"name": b.name, "port": b.port}
    if b.namespace != rule.origin.namespace:
        ref["namespace"] = b.namespace
    spec = {"type": "ExtAuth", "extAuth": {"grpcService": {"backendRef": ref}, "statusOnError": 500}}
    name = fit(dns_subdomain(f"{b.name}-extauth-{short_hash(json.dumps(spec, sort_keys=True))}"))
    em.extra("GatewayExtension", rule.origin.namespace, name, spec, rule)
    em.also(intent, "GatewayExtension")
    em.caveat(intent, "a gRPC auth service receives every request header")
    return [em.piece(TP, "route", {"extAuth": {"extensionRef": {"name": name}}})]


def global_auth_opt_out(em, intent: GlobalAuthOptOutPolicy, rule: RuleDraft):
    own = any(isinstance(i, (ExternalAuth, ExtAuthPolicy)) for i in rule.intents)
    if own:
        em.caveat(intent, "the route's own external auth replaces a Gateway-level one")
        return []
    em.caveat(intent, "only matters once a Gateway-level TrafficPolicy extAuth stands for the ConfigMap's "
                      "global-auth-url (ingress2gw does not write that one)")
    return [em.piece(TP, "route", {"extAuth": {"disable": {}}})]


# -- client certificates: one ListenerPolicy per HTTPS listener --------------------------------------------------------

_MODES = {"on": "Require", "optional": "Optional"}


def _listeners(em, hosts) -> list[str] | str:
    if em.opts.existing_gateway:
        return ("the listeners of an existing Gateway (--gateway) are unknown to ingress2gw; attach a ListenerPolicy "
                "to the HTTPS listener of these hosts by hand")
    sections = sorted({s for s in (em.https_section(h) for h in hosts) if s})
    return sections or "none of the hosts has an HTTPS listener"


def client_cert(em, intent: ClientCertPolicy, rule: RuleDraft):
    verify = intent.verify or "on"
    if verify == "off":
        em.caveat(intent, "verification off: no client certificate is requested")
        return []
    if verify not in _MODES:
        return f"auth-tls-verify-client {verify} has no kgateway mode (Require, Optional)"
    sections = _listeners(em, intent.hosts or ())
    if isinstance(sections, str):
        return sections
    ns, _, name = str(intent.ca_secret or "").rpartition("/")
    ref = {"group": "", "kind": "Secret", "name": name}
    if ns and ns != em.gateway_namespace():
        ref["namespace"] = ns
    default: dict = {"clientCertificateValidation": {"caCertificateRefs": [ref], "mode": _MODES[verify]}}
    notes = ["validated per HTTPS listener: a wildcard listener on the same port that overlaps these hosts can bypass "
             "it through TLS connection reuse (kgateway ListenerPolicy docs)"]
    if intent.pass_certificate:
        default["httpSettings"] = {"forwardClientCertDetails": {"mode": "SanitizeSet", "details": {"cert": True}}}
        notes.append("backends get the certificate in x-forwarded-client-cert (Cert=\"...\"), not in ssl-client-cert")
    if (intent.depth or 1) != 1:
        notes.append(f"the chain depth limit ({intent.depth}) has no field")
    if intent.error_page:
        notes.append("failed verifications end the TLS handshake; there is no error page")
    em.caveat(intent, "; ".join(notes))
    return [em.piece(LP, "gateway", {"default": default}, key=s) for s in sections]


def client_cert_forward(em, intent: ClientCertForwardPolicy, rule: RuleDraft):
    sections = _listeners(em, [rule.host])
    if isinstance(sections, str):
        return sections
    em.caveat(intent, "set on the host's HTTPS listener (every route of the host); backends get the certificate in "
                      "x-forwarded-client-cert (Cert=\"...\") instead of X-Forwarded-Tls-Client-Cert")
    spec = {"default": {"httpSettings": {"forwardClientCertDetails": {"mode": "SanitizeSet",
                                                                      "details": {"cert": True}}}}}
    return [em.piece(LP, "gateway", spec, key=s) for s in sections]
