"""kgateway BackendConfigPolicy fields (on the Service) and Backends: TLS to the backend, load balancing and
affinity, concurrency caps, connect timeouts (traffic), and ``service-upstream`` (a Backend that
resolves the Service's ClusterIP name).

Several intents of a rule feed one field (the BackendTLS hostname, skip-verify and the client certificate
make one ``tls``; affinity, hashing and the algorithm make one ``loadBalancer``), so each contributing intent
renders the same piece, computed from the whole rule.
https://kgateway.dev/docs/envoy/latest/reference/api/#backendconfigpolicyspec
"""

from __future__ import annotations

import re

from ingress2gw.emitters.implementation import Refusals
from ingress2gw.emitters.naming import fit
from ingress2gw.emitters.kgateway.traffic import duration, millis
from ingress2gw.model.ir import BackendTLS, Intent, PolicyIntent, RuleDraft, SessionPersistence
from ingress2gw.model.outcome import Dimension
from ingress2gw.model.policies import (
    BackendTLSOptionsPolicy, InFlightPolicy, LoadBalancerPolicy, ServersTransportPolicy, ServiceUpstreamPolicy,
    SessionCookiePolicy,
)

BCP = "BackendConfigPolicy"
_VERSIONS = {"TLSv1": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3"}
#: OpenSSL cipher-string words and operators: an expression, not a list of suite names.
_CIPHER_EXPR = re.compile(r"[!+@]|^(ALL|DEFAULT|COMPLEMENTOFDEFAULT|HIGH|MEDIUM|LOW|EXPORT|[ae]NULL|NULL|kRSA|aRSA|"
                          r"ECDH|EDH|DH|AES|AESGCM|SHA|SHA1|SHA256|SHA384|MD5|RC4|3DES|DES|PSK|SRP|CAMELLIA|SEED)$")
_APP_PROTOCOLS = {"http2", "grpc", "grpc-web", "kubernetes.io/h2c", "kubernetes.io/ws"}


def _family(rule: RuleDraft, *families: type[PolicyIntent]) -> list:
    return [i for i in rule.intents if isinstance(i, families)]


def verified_tls(hostname: str) -> dict:
    """What a BackendTLSPolicy with system CAs and this hostname does, as BackendConfigPolicy.tls."""
    return {"sni": hostname, "wellKnownCACertificates": "System", "verifySubjectAltNames": [hostname]}


# -- TLS to the backend ------------------------------------------------------------------------------------------

def _tls(em, rule: RuleDraft) -> tuple[dict | None, Refusals]:
    """The rule's backend TLS as one ``tls`` value, and the reasons some of its intents are left out."""
    refused = Refusals()
    btls = next((i for i in rule.intents if isinstance(i, BackendTLS)), None)
    if btls is None:
        return None, refused
    tls: dict = {"sni": btls.hostname}
    settings = _family(rule, BackendTLSOptionsPolicy)
    params: dict[str, tuple] = {}  # setting -> (value, the last intent that set it)
    for i in settings:
        for k, v in (("clientSecret", i.clientSecret), ("ciphers", i.ciphers), ("protocols", i.protocols)):
            if v is not None:
                params[k] = (v, i)
    insecure = [i for i in _family(rule, ServersTransportPolicy) if i.insecure_skip_verify]
    verify = btls.verify and not insecure
    secret = params.get("clientSecret")
    svc_ns = rule.backends[0].namespace if rule.backends else rule.origin.namespace
    if secret:
        ns, _, name = str(secret[0]).rpartition("/")
        if ns and ns != svc_ns:
            refused.add(secret[1], (f"BackendConfigPolicy.tls.secretRef names a Secret of the Service's namespace "
                                      f"({svc_ns}); copy {secret[0]} there"))
            secret = None
        else:
            # The client certificate is presented as the source did; what the Secret's ca.crt does to the
            # certificate check is BackendTLS's answer (``verification``).
            tls["secretRef"] = {"name": name}
            if verify:
                tls["verifySubjectAltNames"] = [btls.hostname]
    if not secret:
        if not verify:
            tls["insecureSkipVerify"] = True
        elif btls.ca_config_maps:
            reason = ("kgateway's BackendConfigPolicy reads backend CAs from a Secret (tls.secretRef, key ca.crt), "
                      f"not from ConfigMap {', '.join(btls.ca_config_maps)}")
            for i in settings:
                refused.add(i, reason)
            return None, refused
        else:
            tls.update(verified_tls(btls.hostname))
    parameters: dict = {}
    if "protocols" in params:
        versions = sorted(_VERSIONS[v] for v in params["protocols"][0] if v in _VERSIONS)
        if not versions:
            refused.add(params["protocols"][1], "none of the TLS versions is one Envoy speaks (TLSv1 to TLSv1.3)")
        else:
            parameters.update(minVersion=versions[0], maxVersion=versions[-1])
            if len(versions) != len(params["protocols"][0]):
                em.caveat(params["protocols"][1], "SSL versions are not offered")
    if "ciphers" in params:
        suites = [c for c in str(params["ciphers"][0]).split(":") if c]
        if not suites or any(_CIPHER_EXPR.search(c) for c in suites):
            refused.add(params["ciphers"][1], (f"{params['ciphers'][0]!r} is an OpenSSL cipher expression; kgateway "
                                                 "takes cipher suite names (tls.parameters.cipherSuites)"))
        else:
            parameters["cipherSuites"] = suites
    if parameters:
        tls["parameters"] = parameters
    return tls, refused


def verification(btls: BackendTLS, tls: dict) -> str:
    """What BackendConfigPolicy ``tls`` does to the backend certificate check that the source did not ("": the
    same check)."""
    if tls.get("insecureSkipVerify"):
        return "" if not btls.verify else "kgateway does not verify the backend certificate, which the source verified"
    if "secretRef" in tls:
        name = tls["secretRef"]["name"]
        if not btls.verify:
            return (f"kgateway verifies the backend certificate against ca.crt of Secret {name} when the Secret has "
                    "one (BackendConfigPolicy.tls takes a client certificate or insecureSkipVerify, not both), where "
                    "the source did not verify it: a self-signed or mismatched certificate now fails")
        if btls.ca_secret is not None and btls.ca_secret.rpartition("/")[2] == name:
            return ""
        return (f"kgateway verifies the backend certificate against ca.crt of Secret {name}, where the source "
                f"verified it against {'ca.crt of Secret ' + btls.ca_secret if btls.ca_secret else 'the system CAs'}")
    if btls.ca_secret:
        return (f"kgateway verifies the backend certificate against the system CAs, where the source verified it "
                f"against ca.crt of Secret {btls.ca_secret}: certificates from that CA now fail")
    return ""


def backend_tls(em, intent: Intent, rule: RuleDraft):
    """BackendTLS (when the target has no BackendTLSPolicy, or the emitter withholds it) and the backend-tls
    family."""
    tls, refused = _tls(em, rule)
    if refused.reason(intent) is not None:
        return refused.reason(intent)
    if tls is None:
        em.caveat(intent, "no effect: the backend is reached without TLS")
        return []
    if isinstance(intent, BackendTLS):
        em.caveat(intent, verification(intent, tls), Dimension.BACKEND_TLS)
    return [em.piece(BCP, "service", {"tls": tls})]


def servers_transport(em, intent: ServersTransportPolicy, rule: RuleDraft):
    pieces = []
    dial = duration(intent.dial_timeout or "")
    if dial:
        if millis(dial) is None:
            return f"dialTimeout {dial!r} is not a duration kgateway accepts"
        pieces.append(em.piece(BCP, "service", {"connectTimeout": dial}))
    if intent.insecure_skip_verify:
        tls, refused = _tls(em, rule)
        if refused.reason(intent) is not None:
            return refused.reason(intent)
        if tls is None:
            em.caveat(intent, "insecureSkipVerify has no effect: the backend is reached without TLS")
        else:
            pieces.append(em.piece(BCP, "service", {"tls": tls}))
    return pieces


# -- load balancing and affinity ---------------------------------------------------------------------------------

def _cookie(em, rule: RuleDraft, sp: SessionPersistence) -> dict:
    nginx = bool(sp.origin and sp.origin.annotation.endswith("/affinity"))
    cookie: dict = {"name": sp.session_name or "kgateway-affinity"}
    permanent = sp.lifetime == "Permanent" and sp.absolute_timeout
    cookie["ttl"] = sp.absolute_timeout if permanent else "0s"  # Envoy: ttl 0 issues a session cookie
    attrs: dict = {"path": "/"}
    if nginx:
        attrs["httpOnly"] = True  # the controller's affinity cookie is HttpOnly
    for i in _family(rule, SessionCookiePolicy):
        attrs.update({k: v for k, v in (("httpOnly", i.httpOnly), ("path", i.path), ("secure", i.secure))
                      if v is not None})
        same_site = str(i.sameSite or "").capitalize()  # Traefik spells it lower-case
        if same_site in ("Strict", "Lax", "None"):
            attrs["sameSite"] = same_site
        elif same_site:
            em.caveat(i, f"SameSite {i.sameSite!r} is not Strict, Lax or None; the cookie has none")
        if i.domain:
            em.caveat(i, f"the cookie Domain ({i.domain}) has no kgateway field: the browser scopes it to "
                         "the request host")
    if nginx and not any(i.path for i in _family(rule, SessionCookiePolicy)):
        em.caveat(sp, "the cookie Path is / (nginx scoped it to the location path unless session-cookie-path was set)")
    cookie.update(attrs)
    return cookie


def _lb(em, rule: RuleDraft) -> tuple[dict | None, Refusals]:
    """The rule's loadBalancer: cookie affinity, else consistent hashing, else the algorithm (the controller's
    precedence), and the reasons some intents are left out."""
    refused = Refusals()
    sps = [i for i in rule.intents if isinstance(i, SessionPersistence)]
    sp = sps[-1] if sps else None
    native = sp is not None and not em.left(sp, rule)
    cookies = _family(rule, SessionCookiePolicy)
    lbs = _family(rule, LoadBalancerPolicy)
    if native:
        for i in cookies:
            refused.add(i, "the route's sessionPersistence (Gateway API) has no field for cookie Path, Domain, "
                           "SameSite, Secure or HttpOnly, and a BackendConfigPolicy cookie hash would be a second "
                           "affinity")
    elif sp is None:
        for i in cookies:
            em.caveat(i, "no effect: the rule has no cookie affinity to give these attributes to")
    if sp is not None and not native:
        if sp.type != "Cookie":
            refused.add(sp, ("kgateway hashes on a header the client already sends (hashPolicies header); it "
                               "issues no session header as Gateway API header persistence does"))
            for i in cookies:
                refused.add(i, refused.reason(sp))
        else:
            for i in lbs:
                em.caveat(i, "cookie affinity takes precedence over this setting, as in the controller")
            return {"ringHash": {"hashPolicies": [{"cookie": _cookie(em, rule, sp)}]}}, refused
    lb = lbs[-1] if lbs else None
    if lb is None:
        return None, refused
    if native and lb.hashBy:
        em.caveat(lb, "the route's sessionPersistence takes precedence over hashing, as in the controller")
        return None, refused
    kind, name = lb.hashKind, lb.hashName
    if lb.hashBy:
        policy = {"sourceIP": {}} if kind == "sourceIP" else {"header": {"name": name}} if kind == "header" else \
            {"cookie": {"name": name}} if kind == "cookie" and name else None
        if policy is None:
            refused.add(lb, (f"kgateway hashes on a header, a cookie or the client IP (ringHash.hashPolicies); "
                               f"{lb.hashBy!r} is none of them"))
            return None, refused
        if lb.subset:
            em.caveat(lb, "hashing to a subset of endpoints is not kept: the hash picks among all endpoints")
        return {"ringHash": {"hashPolicies": [policy]}}, refused
    algorithm = lb.algorithm
    if algorithm == "round_robin":
        return {"roundRobin": {}}, refused
    if algorithm in ("ewma", "least_request", "least_conn"):
        if algorithm == "ewma":
            em.caveat(lb, "EWMA (latency-weighted) becomes least request, its closest Envoy algorithm")
        return {"leastRequest": {}}, refused
    refused.add(lb, (f"kgateway has no {algorithm!r} load balancer (roundRobin, leastRequest, ringHash, maglev, "
                       "random)"))
    return None, refused


def load_balancing(em, intent: Intent, rule: RuleDraft):
    """load-balancer, session-cookie and SessionPersistence (when the route cannot hold it)."""
    lb, refused = _lb(em, rule)
    if refused.reason(intent) is not None:
        return refused.reason(intent)
    if lb is None:
        return []  # superseded (the caveat says by what)
    if "ringHash" in lb:
        em.caveat(intent, "affinity by consistent hashing (ring hash) on the Service for every route to it; new "
                          "endpoints move some sessions")
    return [em.piece(BCP, "service", {"loadBalancer": lb})]


def in_flight(em, intent: InFlightPolicy, rule: RuleDraft):
    key = intent.key
    if key not in (None, "", "host"):
        return (f"kgateway caps concurrent requests per Service for every client together "
                f"(BackendConfigPolicy.circuitBreakers), not per {key}")
    amount = intent.amount
    if not isinstance(amount, int) or amount <= 0:
        em.caveat(intent, "no limit to configure")
        return []
    em.caveat(intent, "the cap counts the Service's requests from every route, per Envoy replica (Traefik: per Host "
                      "header, per instance); requests over it get 503 instead of 429")
    return [em.piece(BCP, "service", {"circuitBreakers": {"maxConnections": amount, "maxPendingRequests": 1,
                                                          "maxRequests": amount}})]


# -- service-upstream: the ClusterIP instead of the endpoints -------------------------------------------------------

def service_upstream(em, intent: PolicyIntent, rule: RuleDraft):
    if isinstance(intent, ServiceUpstreamPolicy) and intent.enabled is False:
        return []
    if any(isinstance(i, (BackendTLS, BackendTLSOptionsPolicy, ServersTransportPolicy)) for i in rule.intents):
        return ("the backend is reached over TLS; a Backend standing in for the Service would need its own TLS "
                "policy, which ingress2gw does not write")
    if not rule.backends:
        return []
    if any(b.port is None for b in rule.backends):
        return "the Service port is unresolved, and a Backend needs the port number"
    for b in rule.backends:
        static: dict = {"hosts": [{"host": f"{b.name}.{b.namespace}.svc.cluster.local", "port": b.port}]}
        if b.app_protocol in _APP_PROTOCOLS:
            static["appProtocol"] = b.app_protocol
        name = fit(f"{b.name}-{b.port}-clusterip")
        em.extra("Backend", b.namespace, name, {"type": "Static", "static": static}, rule)
        em.cluster_ip[id(b)] = name
        em.stand_in(b.namespace, b.name, name)
    em.also(intent, "Backend")
    em.caveat(intent, "the HTTPRoute sends to a kgateway Backend resolving <service>.<namespace>.svc.cluster.local "
                      "(the ClusterIP; the cluster domain is assumed to be cluster.local); BackendConfigPolicies of "
                      "the Service also target it, a BackendTLSPolicy does not")
    return []
