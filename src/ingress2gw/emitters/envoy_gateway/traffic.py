"""Envoy Gateway v1.9 renderings of the traffic families: BackendTrafficPolicy, HTTPRouteFilter.

Each function takes the emitter, the intent and its rule, and returns the policy pieces or the reason
there are none (the reason ends up in the annotation's finding, so it says what is missing and why).
BackendTrafficPolicy attaches only to Gateways and routes (its CEL rejects Service targets), so the
settings ingress-nginx kept per upstream (load balancing, affinity) attach to the routes of the
Ingress that asked for them.
https://gateway.envoyproxy.io/docs/api/extension_types/#backendtrafficpolicyspec
"""

from __future__ import annotations

from ingress2gw.emitters.envoy_gateway.values import (
    duration_ms, eg_duration, per_unit, quantity, status_matches,
)
from ingress2gw.emitters.implementation import stream_idle_timeout
from ingress2gw.model.ir import IdleTimeout, PolicyIntent, Retry, RuleDraft, SessionPersistence, Timeouts
from ingress2gw.model.policies import (
    BodySizePolicy, CompressionPolicy, ErrorPagesPolicy, LoadBalancerPolicy, ProxyBufferingPolicy, RateLimitPolicy,
    RegexRewritePolicy, RetryBudgetPolicy, ServersTransportPolicy, SessionCookiePolicy, UpstreamTimeoutsPolicy,
)

BTP = "BackendTrafficPolicy"
HRF = "HTTPRouteFilter"

#: ingress-nginx load-balance / Traefik strategies → BackendTrafficPolicy.spec.loadBalancer.type.
_ALGORITHMS = {"round_robin": "RoundRobin", "roundrobin": "RoundRobin", "wrr": "RoundRobin",
               "ewma": "LeastRequest", "least_request": "LeastRequest", "least_conn": "LeastRequest",
               "p2c": "LeastRequest", "random": "Random"}
_ENCODINGS = {"gzip": "Gzip", "br": "Brotli", "brotli": "Brotli", "zstd": "Zstd"}


def same_family(rule: RuleDraft, family: type[PolicyIntent]) -> list:
    """The rule's intents of one family, in source order (list-valued fields combine all of them)."""
    return [i for i in rule.intents if isinstance(i, family)]


# -- timeouts and retries ------------------------------------------------------------------------------
def stream_idle(rule: RuleDraft) -> str | None:
    """Envoy's one stream idle timeout for the rule (``timeout.http.streamIdleTimeout``): the longer of the read
    timeout written for it and the send timeout (nginx timed each direction on its own), so that nothing nginx
    waited for is cut. None when the rule has neither."""
    values = ([i.read for i in same_family(rule, IdleTimeout) if i.written]
              + [i.send for i in same_family(rule, UpstreamTimeoutsPolicy) if i.send is not None])
    valid = [v for v in values if eg_duration(v) is not None]
    return eg_duration(max(valid, key=duration_ms)) if valid else None


def upstream_timeouts(em, intent: UpstreamTimeoutsPolicy, rule: RuleDraft):
    timeout: dict = {}
    connect, send = intent.connect, intent.send
    if connect is not None:
        if eg_duration(connect) is None:
            return f"connect timeout {connect!r} is not a duration Envoy Gateway accepts"
        timeout["tcp"] = {"connectTimeout": eg_duration(connect)}
    if send is not None:
        if eg_duration(send) is None:
            return f"send timeout {send!r} is not a duration Envoy Gateway accepts"
        idle = stream_idle(rule)
        timeout["http"] = {"streamIdleTimeout": idle}
        em.caveat(intent, "proxy-send-timeout became timeout.http.streamIdleTimeout: Envoy resets a request "
                          "after that long without data in either direction, nginx timed only the gap between "
                          "two writes to the upstream"
                  + ("" if duration_ms(idle) == duration_ms(send) else
                     f"; it is the read timeout ({idle}), the longer one"))
    if not timeout:
        return []
    return [em.piece(BTP, "route", {"timeout": timeout})]


def idle_timeout(em, intent: IdleTimeout, rule: RuleDraft):
    if eg_duration(intent.read) is None:
        return f"read timeout {intent.read!r} is not a duration Envoy Gateway accepts"
    idle = stream_idle(rule)
    piece = em.piece(BTP, "route", {"timeout": {"http": {"streamIdleTimeout": idle}}})
    return stream_idle_timeout(em, intent, idle, piece, implementation="Envoy Gateway",
                               field="timeout.http.streamIdleTimeout",
                               listener_idle="ClientTrafficPolicy, default 5 minutes", key=duration_ms)


def timeouts(em, intent: Timeouts, rule: RuleDraft):
    value = intent.request or intent.backend_request
    if eg_duration(value) is None:
        return f"timeout {value!r} is not a duration Envoy Gateway accepts"
    if intent.request and intent.backend_request:
        em.caveat(intent, "backendRequest is not set separately: timeout.http.requestTimeout bounds the whole "
                          "request, retries included")
    return [em.piece(BTP, "route", {"timeout": {"http": {"requestTimeout": eg_duration(value)}}})]


def _retry_spec(rule: RuleDraft) -> tuple[dict, str] | str | None:
    """BackendTrafficPolicy.retry from the rule's last Retry (as in the HTTPRoute rendering, the last one
    wins: proxy-next-upstream-tries refines proxy-next-upstream), and what it retries."""
    retries = [i for i in rule.intents if isinstance(i, Retry)]
    if not retries:
        return None
    last = retries[-1]
    on: dict = {"triggers": ["connect-failure", "reset"] + (["retriable-status-codes"] if last.codes else [])}
    if last.codes:
        on["httpStatusCodes"] = sorted(set(last.codes))
    spec: dict = {"numRetries": last.attempts, "retryOn": on}
    if last.backoff:
        if eg_duration(last.backoff) is None:
            return f"retry backoff {last.backoff!r} is not a duration Envoy Gateway accepts"
        spec["perRetry"] = {"backOff": {"baseInterval": eg_duration(last.backoff)}}
    what = ("up to {n} retries on connection failures and resets".format(n=last.attempts)
            + (f" and status {', '.join(map(str, sorted(set(last.codes))))}" if last.codes else ""))
    return spec, what


def retry(em, intent: Retry, rule: RuleDraft):
    made = _retry_spec(rule)
    if isinstance(made, str):
        return made
    spec, what = made
    em.caveat(intent, f"{what}; Envoy retries every method, on another endpoint when one is free")
    return [em.piece(BTP, "route", {"retry": spec})]


def retry_budget(em, intent: RetryBudgetPolicy, rule: RuleDraft):
    budget = eg_duration(intent.budget)
    if budget is None:
        return f"retry budget {intent.budget!r} is not a duration Envoy Gateway accepts"
    made = _retry_spec(rule)
    if isinstance(made, str):
        return made
    # With a Retry on the rule the whole retry policy is repeated here: on the experimental channel the
    # HTTPRoute holds it too, and the policy's retry replaces the route's.
    spec = made[0] if made else {}
    spec.setdefault("perRetry", {})["timeout"] = budget
    em.caveat(intent, f"retry.perRetry.timeout bounds each attempt to {budget}; nginx's proxy-next-upstream-timeout "
                      "bounded all attempts together"
              + ("" if made else "; with no retry settings of its own the route gets Envoy Gateway's default retry "
                                 "(2 retries on connect failure, refused stream and 503), close to nginx's default "
                                 "of 3 tries"))
    return [em.piece(BTP, "route", {"retry": spec})]


# -- request limits --------------------------------------------------------------------------------------
def body_size(em, intent: BodySizePolicy, rule: RuleDraft):
    n = intent.max_bytes
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        return f"body size {n!r} is not a byte count"
    if n == 0:
        em.caveat(intent, "unlimited: Envoy Gateway sets no request body limit unless a policy does, so no "
                          "policy is needed")
        return []
    em.caveat(intent, f"requestBuffer.limit {quantity(n)}: Envoy holds the whole request body in memory before "
                      "proxying (413 above the limit), and WebSocket upgrades are disabled on these routes")
    return [em.piece(BTP, "route", {"requestBuffer": {"limit": quantity(n)}})]


def rate_limit(em, intent: RateLimitPolicy, rule: RuleDraft):
    rules: list[dict] = []
    for it in same_family(rule, RateLimitPolicy):
        made = _rate_rules(em, it)
        if isinstance(made, str):
            if it is intent:
                return made
            continue
        rules += made
    if not rules:
        return []
    ip = em.client_ip(intent, rule)
    if isinstance(ip, str):
        return ip
    return [em.piece(BTP, "route", {"rateLimit": {"local": {"rules": rules}}})] + ip


def _rate_rules(em, intent: RateLimitPolicy) -> list[dict] | str:
    requests, period = intent.requests, str(intent.period)
    if not isinstance(requests, int) or isinstance(requests, bool) or requests < 0:
        return f"rate {requests!r} is not a number of requests"
    if requests == 0:
        return []
    limit = per_unit(requests, period)
    if limit is None:
        return f"{requests} requests per {period} cannot be written in Envoy Gateway's rate units"
    key = str(intent.key)
    if key == "client-ip":
        # Envoy Gateway keeps one sourceCIDR per rule (envoyproxy/gateway#10025): one rule per address family.
        selectors = [[{"sourceCIDR": {"type": "Distinct", "value": v}}] for v in ("0.0.0.0/0", "::/0")]
        who = "per client IP"
    elif key.startswith("header:"):
        selectors = [[{"headers": [{"name": key[len("header:"):], "type": "Distinct"}]}]]
        who = f"per value of header {key[len('header:'):]}"
    elif key == "host":
        selectors = [[]]  # each route (one hostname) has its own counters
        who = "per route (one hostname)"
    else:
        return f"rate-limit key {key!r} has no Envoy Gateway client selector"
    local = (intent.counting or "per-replica") in ("per-replica", "per-pod-per-client-ip")
    notes = [f"local rate limit {limit[0]}/{limit[1]} {who}, counted by each Envoy replica ("
             + ("the source also counted per proxy instance" if local else "the source counted cluster-wide")
             + "); a cluster-wide limit needs rateLimit.global and Envoy Gateway's rate-limit service (Redis), "
               "which is not deployed by default"]
    if (limit[0], limit[1]) != (requests, {"1s": "Second", "1m": "Minute", "1h": "Hour"}.get(period)):
        notes.append(f"{requests} per {period} written as {limit[0]} per {limit[1].lower()}")
    if intent.burst is not None:
        notes.append(f"burst {intent.burst} is not reproduced: the bucket holds {limit[0]} requests")
    if intent.status != 429:
        notes.append(f"rejected requests get 429, not {intent.status}")
    if intent.exempt:
        notes.append(f"exempt ranges {', '.join(intent.exempt)} are limited too: Envoy Gateway cannot "
                     "combine a per-client limit with an inverted sourceCIDR in one rule")
    em.caveat(intent, "; ".join(notes))
    return [({"clientSelectors": s} if s else {}) | {"limit": {"requests": limit[0], "unit": limit[1]}}
            for s in selectors]


# -- load balancing and affinity --------------------------------------------------------------------------
def _cookie_hash(em, rule: RuleDraft, sp: SessionPersistence) -> dict | str:
    name = sp.session_name or "session-affinity"
    ttl = eg_duration(sp.absolute_timeout) if sp.absolute_timeout else "0s"
    if ttl is None:
        return f"cookie lifetime {sp.absolute_timeout!r} is not a duration Envoy Gateway accepts"
    cookie: dict = {"name": name, "ttl": ttl}
    attrs: dict = {}
    for it in same_family(rule, SessionCookiePolicy):
        for value, attr in ((it.path, "Path"), (it.domain, "Domain"), (it.sameSite, "SameSite")):
            if value:
                attrs[attr] = str(value)
        for value, attr in ((it.secure, "Secure"), (it.httpOnly, "HttpOnly")):
            if value is True:
                attrs[attr] = ""
    if attrs:
        cookie["attributes"] = attrs
    return {"loadBalancer": {"type": "ConsistentHash", "consistentHash": {"type": "Cookie", "cookie": cookie}}}


def _affinity(rule: RuleDraft) -> SessionPersistence | None:
    return next((i for i in rule.intents if isinstance(i, SessionPersistence)), None)


def session_persistence(em, intent: SessionPersistence, rule: RuleDraft):
    if intent.type == "Header":
        em.caveat(intent, f"requests are hashed on header {intent.session_name}; Envoy does not issue the header")
        spec = {"loadBalancer": {"type": "ConsistentHash", "consistentHash": {
            "type": "Headers", "headers": [{"name": intent.session_name or "session-affinity"}]}}}
        return [em.piece(BTP, "route", spec)]
    spec = _cookie_hash(em, rule, intent)
    if isinstance(spec, str):
        return spec
    em.caveat(intent, "cookie affinity is a consistent hash on the cookie (loadBalancer ConsistentHash): Envoy "
                      "issues the cookie" + ("" if intent.session_name else " 'session-affinity'")
                      + ", and a change in the endpoints moves some sessions; it covers this Ingress's routes, not "
                        "every route to the Service")
    return [em.piece(BTP, "route", spec)]


def session_cookie(em, intent: SessionCookiePolicy, rule: RuleDraft):
    sp = _affinity(rule)
    if sp is None or sp.type != "Cookie":
        return "cookie attributes need cookie affinity on the same rule"
    if not em.left(sp, rule):
        return ("the route's sessionPersistence (experimental channel) has no cookie attributes, and a "
                "BackendTrafficPolicy cookie hash would compete with it")
    spec = _cookie_hash(em, rule, sp)
    return spec if isinstance(spec, str) else [em.piece(BTP, "route", spec)]


def load_balancer(em, intent: LoadBalancerPolicy, rule: RuleDraft):
    if _affinity(rule) is not None:
        return ("not applied: cookie affinity on the same rule decides the endpoint (ingress-nginx also ignores "
                "load-balance and upstream-hash-by when affinity is set)")
    kind, name = intent.hashKind, intent.hashName
    if kind:
        ch = {"sourceIP": {"type": "SourceIP"},
              "header": {"type": "Headers", "headers": [{"name": name}]},
              "cookie": {"type": "Cookie", "cookie": {"name": name}},
              "query": {"type": "QueryParams", "queryParams": [{"name": name}]}}.get(str(kind))
        if ch is None or (kind != "sourceIP" and not name):
            return (f"upstream-hash-by {intent.hashBy!r}: Envoy Gateway hashes only on the client IP, a "
                    "header, a cookie or a query parameter")
        notes = ["consistent hash (Maglev-style table) instead of nginx's ketama ring: keys map to other endpoints "
                 "at cut-over"]
        if intent.subset:
            notes.append("upstream-hash-by-subset is not reproduced: a key maps to one endpoint, not to a subset")
        em.caveat(intent, "; ".join(notes) + "; it covers this Ingress's routes, not every route to the Service")
        return [em.piece(BTP, "route", {"loadBalancer": {"type": "ConsistentHash", "consistentHash": ch}})]
    algo = str(intent.algorithm or "").lower()
    if algo not in _ALGORITHMS:
        return f"load-balancing algorithm {algo!r} has no Envoy Gateway loadBalancer.type"
    if algo == "ewma":
        em.caveat(intent, "EWMA became LeastRequest (the closest Envoy algorithm)")
    em.caveat(intent, "it covers this Ingress's routes; other routes to the Service keep Envoy Gateway's default "
                      "(LeastRequest)")
    return [em.piece(BTP, "route", {"loadBalancer": {"type": _ALGORITHMS[algo]}})]


# -- responses -------------------------------------------------------------------------------------------
def compression(em, intent: CompressionPolicy, rule: RuleDraft):
    names = [str(e).lower() for e in (intent.encodings or ("br", "gzip"))]
    unknown = [n for n in names if n not in _ENCODINGS]
    types = list(dict.fromkeys(_ENCODINGS[n] for n in names if n in _ENCODINGS))
    if not types:
        return f"encodings {', '.join(names)} have no Envoy Gateway compressor"
    notes = ["Envoy compresses only its default list of text content types"]
    if unknown:
        notes.append(f"encodings {', '.join(unknown)} are not available")
    if not intent.encodings:
        notes.append("no encodings listed: Brotli and Gzip are enabled")
    if intent.excluded_content_types:
        notes.append("excludedContentTypes has no equivalent")
    item: dict = {}
    size = intent.min_response_body_bytes
    if isinstance(size, int) and size > 0:
        item["minContentLength"] = max(size, 30)
        if size < 30:
            notes.append("minimum size raised to 30 bytes (Envoy's floor)")
    em.caveat(intent, "; ".join(notes))
    return [em.piece(BTP, "route", {"compressor": [{"type": t, **item} for t in types]})]


def error_pages(em, intent: ErrorPagesPolicy, rule: RuleDraft):
    overrides: list[dict] = []
    for it in same_family(rule, ErrorPagesPolicy):
        match = status_matches(it.codes)
        if match is None:
            if it is intent:
                return f"status codes {it.codes!r} cannot be matched"
            continue
        override: dict = {"match": {"statusCodes": match[:50]},
                          "response": {"contentType": "text/plain",
                                       "body": {"type": "Inline", "inline": "Error %RESPONSE_CODE%"}}}
        if it.service:
            override["source"] = "Backend"  # Traefik's errors middleware sees only the service's responses
        overrides.append(override)
    where = (f"the error service {intent.service}{intent.query or ''}"
             if intent.service else "the default backend")
    em.caveat(intent, f"responseOverride answers these codes with a static body; the page is no longer fetched "
                      f"from {where} (replace response.body, e.g. with a ConfigMap valueRef holding your page)")
    return [em.piece(BTP, "route", {"responseOverride": overrides})] if overrides else []


# -- path rewrite through an HTTPRouteFilter --------------------------------------------------------------
def regex_rewrite(em, intent: RegexRewritePolicy, rule: RuleDraft):
    pattern, sub = intent.pattern, intent.substitution
    if not pattern:
        return "regex rewrite without a pattern"
    native = em.native(rule)
    if native.redirects:
        return "the rule redirects, so there is nothing to rewrite"
    if any(f["type"] == "URLRewrite" and "path" in f["urlRewrite"] for f in native.filters):
        return "another path rewrite (URLRewrite filter) already applies to this rule"
    if intent.strip:
        # Traefik stripPrefixRegex removes the match when it starts the path, and keeps a leading slash.
        pattern, sub = f"^(?:{pattern})/?", "/"
        # (the X-Forwarded-Prefix Traefik sent is the provider's caveat: intent.traefik_headers)
    em.caveat(intent, "Envoy replaces every match of the RE2 pattern in the path (the query string is kept); the "
                      "HTTPRouteFilter is referenced from the rule with an ExtensionRef filter")
    return [em.piece(HRF, "rule", {"urlRewrite": {"path": {
        "type": "ReplaceRegexMatch", "replaceRegexMatch": {"pattern": str(pattern), "substitution": str(sub or "")}}}})]


def servers_transport(em, intent: ServersTransportPolicy, rule: RuleDraft):
    if intent.insecure_skip_verify:
        return ("insecureSkipVerify needs an Envoy Gateway Backend with tls.insecureSkipVerify in place of the "
                "Service backendRef, which this emitter does not write")
    dial = intent.dial_timeout
    if dial is None:
        return []
    if eg_duration(dial) is None or duration_ms(dial) == 0:
        return f"dialTimeout {dial!r} is not a duration Envoy Gateway accepts"
    return [em.piece(BTP, "route", {"timeout": {"tcp": {"connectTimeout": eg_duration(dial)}}})]


def proxy_buffering(em, intent: ProxyBufferingPolicy, rule: RuleDraft):
    switches = [v for v in (intent.requestBuffering, intent.responseBuffering) if v is not None]
    sizes = (intent.bufferSize, intent.buffersNumber, intent.busyBuffersSize)
    if switches and all(v is False for v in switches) and all(s is None for s in sizes):
        em.caveat(intent, "Envoy streams request and response bodies by default, as asked")
        return []
    return ("Envoy streams bodies: there is no per-route response buffering or buffer sizing, and request "
            "buffering needs a size limit (requestBuffer.limit, from proxy-body-size)")
