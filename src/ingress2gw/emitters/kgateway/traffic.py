"""kgateway TrafficPolicy fields for traffic settings: body size, buffering, regex rewrites, rate and bandwidth
limits, timeouts, retries, CORS, compression, tracing and access logs.

Each renderer takes (emitter, intent, rule) and returns the pieces (``[]``: nothing to write, the kgateway
default already behaves so) or the reason kgateway cannot hold the setting. Field semantics:
https://kgateway.dev/docs/envoy/latest/reference/api/#trafficpolicyspec
"""

from __future__ import annotations

import re

from ingress2gw.emitters.implementation import stream_idle_timeout
from ingress2gw.model.ir import CORS, IdleTimeout, PolicyIntent, Retry, RuleDraft, Timeouts, URLRewrite
from ingress2gw.model.policies import (
    AccessLogPolicy, BandwidthLimitPolicy, BodySizePolicy, CompressionPolicy, ProxyBufferingPolicy, RateLimitPolicy,
    RegexRewritePolicy, TracingPolicy, UpstreamTimeoutsPolicy,
)
from ingress2gw.provider.numbers import parse_int

TP = "TrafficPolicy"
BCP = "BackendConfigPolicy"
DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
_UNITS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
_SIZE = re.compile(r"^([0-9]+)([kKmMgG]?)$")
#: Envoy's default limit on upstream response headers (max_response_headers_kb), which no kgateway field raises.
ENVOY_RESPONSE_HEADERS = 60 * 1024


def millis(text: str) -> int | None:
    """Milliseconds of a Gateway API duration (``1m30s``, ``500ms``); None when it is not one."""
    if not isinstance(text, str) or not DURATION.match(text):
        return None
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", text))


def duration(value) -> str:
    """A source duration as Gateway API text: Traefik also takes whole seconds (``10`` is ``10s``)."""
    text = str(value).strip()
    return f"{text}s" if text.isdigit() else text


def quantity(n: int) -> str | int:
    """Bytes as a Kubernetes quantity when exact (``8Mi``), else the number."""
    for unit, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n % size == 0:
            return f"{n // size}{unit}"
    return n


def nginx_bytes(text: str) -> int | None:
    m = _SIZE.match(str(text).strip())
    n = parse_int(m.group(1)) if m else None  # (None past 4,300 digits)
    if n is None:
        return None
    return n * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def _family(rule: RuleDraft, family: type[PolicyIntent]) -> list:
    return [i for i in rule.intents if isinstance(i, family)]


# -- request bodies and buffering ----------------------------------------------------------------------------

def _buffer(em, rule: RuleDraft) -> list:
    """The body-size piece of the rule (the limit kgateway enforces by buffering), or []."""
    for i in _family(rule, BodySizePolicy):
        n = i.max_bytes
        if isinstance(n, int) and 0 < n < 4 << 30:
            return [em.piece(TP, "route", {"buffer": {"maxRequestSize": quantity(n)}})]
    return []


def body_size(em, intent: BodySizePolicy, rule: RuleDraft):
    n = intent.max_bytes
    if not isinstance(n, int) or n < 0:
        return f"body-size without a size in bytes ({n!r})"
    if n == 0:
        return []  # kgateway sets no body size limit by default, as 0 meant
    if n >= 4 << 30:
        return f"TrafficPolicy.buffer.maxRequestSize must be below 4Gi ({intent.text or n} asked for more)"
    em.caveat(intent, "kgateway enforces the limit by buffering the whole request body in the gateway's memory "
                      "before proxying it (nginx spilled large bodies to a temporary file)")
    return _buffer(em, rule)


def client_body_buffer(em, intent: PolicyIntent, rule: RuleDraft):
    # Nothing to configure: the setting only sized nginx's in-memory body buffer; Envoy streams request bodies
    # (or buffers them whole up to TrafficPolicy.buffer.maxRequestSize). The finding keeps the annotation's caveat.
    return []


def proxy_buffering(em, intent: ProxyBufferingPolicy, rule: RuleDraft):
    pieces: list = []
    if intent.requestBuffering is True:
        pieces = _buffer(em, rule)
        em.caveat(intent, "kgateway buffers whole request bodies only up to the proxy-body-size limit "
                          "(TrafficPolicy.buffer)" if pieces else
                  "Envoy streams request bodies to the backend, where nginx read them whole first: backends now see "
                  "slow uploads as they arrive (kgateway buffers only together with a size limit, proxy-body-size)")
    elif intent.requestBuffering is False and _buffer(em, rule):
        em.caveat(intent, "the request body is still buffered: kgateway enforces proxy-body-size by buffering it")
    if intent.responseBuffering is True:
        em.caveat(intent, "Envoy streams responses to the client where nginx buffered them (memory use and the "
                          "backend's connection time differ, not the responses)")
    size = intent.bufferSize
    if size is not None:
        n = nginx_bytes(size)
        if n is None:
            return f"proxy-buffer-size {size!r} is not an NGINX size"
        if n > ENVOY_RESPONSE_HEADERS:
            return (f"nginx accepted upstream response headers up to {size}; Envoy rejects headers above 60 KiB "
                    "(max_response_headers_kb) and no kgateway v2.4.3 field raises that limit")
        em.caveat(intent, f"Envoy accepts upstream response headers up to 60 KiB (nginx: {size})")
    if intent.buffersNumber is not None or intent.busyBuffersSize is not None:
        em.caveat(intent, "nginx's response buffer counts and sizes have no Envoy counterpart; Envoy streams "
                          "responses through its own flow-control buffers")
    return pieces


# -- paths ------------------------------------------------------------------------------------------------------

_RE2_UNSUPPORTED = re.compile(r"\(\?(=|!|<=|<!)|\\[1-9]|\\Z")


def regex_rewrite(em, intent: RegexRewritePolicy, rule: RuleDraft):
    pattern, substitution = intent.pattern, intent.substitution
    if not pattern or substitution is None:
        return "regex-rewrite without a pattern and a substitution"
    if em.on_grpc_route(rule):
        return "TrafficPolicy.urlRewrite applies to HTTPRoutes only, and this rule is on a GRPCRoute"
    if any(isinstance(i, URLRewrite) and (i.replace_full_path or i.replace_prefix_match) for i in em.native(rule).used):
        return ("the rule already rewrites its path with the HTTPRoute URLRewrite filter; Envoy applies one path "
                "rewrite per route")
    if intent.strip:
        # Traefik stripPrefixRegex removes the matched prefix and keeps the rest (at least "/").
        pattern, substitution = f"^(?:{pattern.removeprefix('^')})/?", "/"
        # (the X-Forwarded-Prefix Traefik sent is the provider's caveat: intent.traefik_headers)
    if _RE2_UNSUPPORTED.search(pattern):
        return f"the pattern {pattern!r} uses look-around or back-references, which Envoy's RE2 does not have"
    if len(pattern) > 1024 or len(substitution) > 1024 or not substitution:
        return "TrafficPolicy.urlRewrite.pathRegex takes a pattern and a non-empty substitution of at most 1024 " \
               "characters each"
    return [em.piece(TP, "route", {"urlRewrite": {"pathRegex": {"pattern": pattern, "substitution": substitution}}})]


# -- limits -------------------------------------------------------------------------------------------------------

def rate_limit(em, intent: RateLimitPolicy, rule: RuleDraft):
    requests = intent.requests
    if not isinstance(requests, int) or requests <= 0:
        em.caveat(intent, "no limit to configure (0 requests means off)")
        return []
    key = str(intent.key or "client-ip")
    period = duration(intent.period or "1s")
    if key != "host":
        what = "per client IP address" if key == "client-ip" else f"per value of the {key[7:]} header"
        descriptor = "RemoteAddress" if key == "client-ip" else "Header"
        return (f"the source limited {requests} requests per {period} {what}; kgateway's local rate limit "
                "(TrafficPolicy.rateLimit.local) is one token bucket per route and Envoy replica shared by every "
                f"client, and a per-client limit needs rateLimit.global with a {descriptor} descriptor, a rate-limit "
                "service (GatewayExtension type RateLimit) and that service's own limit configuration, which "
                "ingress2gw cannot write")
    ms = millis(period)
    if ms is None or ms < 50:
        return f"the period {period!r} is not a duration of at least 50ms (tokenBucket.fillInterval)"
    burst = intent.burst
    tokens = max(burst if isinstance(burst, int) and burst > 0 else 1, requests)
    em.caveat(intent, f"the token bucket gets {requests} tokens at once every {period} and holds {tokens}, where "
                      f"Traefik refilled it continuously: up to {tokens} requests can pass at once; counted per Envoy "
                      "replica, as Traefik counted per instance" + ("" if rule.host and "*" not in rule.host else
                                                                    "; one bucket for every host the route serves"))
    return [em.piece(TP, "route", {"rateLimit": {"local": {"tokenBucket": {
        "maxTokens": tokens, "tokensPerFill": requests, "fillInterval": period}}}})]


def bandwidth_limit(em, intent: BandwidthLimitPolicy, rule: RuleDraft):
    rate = intent.kbytes_per_second
    if not isinstance(rate, int) or rate <= 0:
        return f"bandwidth-limit without a positive rate ({rate!r})"
    after = intent.after_kbytes or 0
    em.caveat(intent, "enforced by Envoy's fault filter per request (nginx: per connection); kgateway passes "
                      "kbitsPerSecond to Envoy's limit_kbps, which Envoy counts in KiB/s, the unit of limit-rate"
                      + (f"; limit-rate-after is lost: the first {after} KB are throttled too" if after else ""))
    return [em.piece(TP, "route", {"faultInjection": {"responseRateLimit": {"kbitsPerSecond": rate,
                                                                              "percentage": 100}}})]


# -- timeouts and retries ---------------------------------------------------------------------------------------

def longest(values) -> str | None:
    """The longest of some durations (the first of equal ones); None when none is a duration."""
    valid = [v for v in values if v and millis(v) is not None]
    return max(valid, key=millis, default=None)


def stream_idle(rule: RuleDraft) -> str | None:
    """Envoy's one stream idle timeout for the rule: the longer of the read timeout written for it and the
    send timeout (nginx timed each direction on its own), so that nothing nginx waited for is cut."""
    return longest([i.read for i in _family(rule, IdleTimeout) if i.written]
                   + [i.send for i in _family(rule, UpstreamTimeoutsPolicy)])


def upstream_timeouts(em, intent: UpstreamTimeoutsPolicy, rule: RuleDraft):
    pieces = []
    connect = intent.connect
    if connect is not None:
        if millis(connect) is None:
            return f"connect timeout {connect!r} is not a duration"
        pieces.append(em.piece(BCP, "service", {"connectTimeout": connect}))
        em.caveat(intent, "BackendConfigPolicy.connectTimeout applies to every route to the Service")
    send = intent.send
    if send is not None:
        if millis(send) is None:
            return f"send timeout {send!r} is not a duration"
        idle = stream_idle(rule)
        em.caveat(intent, "TrafficPolicy.timeouts.streamIdle ends a request idle in either direction, not only "
                          "while the request is sent" + ("" if idle == send else
                                                         f"; it is the read timeout ({idle}), the longer one"))
        pieces.append(em.piece(TP, "route", {"timeouts": {"streamIdle": idle}}))
    return pieces


def idle_timeout(em, intent: IdleTimeout, rule: RuleDraft):
    if millis(intent.read) is None:
        return f"read timeout {intent.read!r} is not a duration"
    idle = stream_idle(rule)
    return stream_idle_timeout(em, intent, idle, em.piece(TP, "route", {"timeouts": {"streamIdle": idle}}),
                               implementation="kgateway", field="TrafficPolicy.timeouts.streamIdle",
                               listener_idle="Envoy's default: 5 minutes")


def timeouts(em, intent: Timeouts, rule: RuleDraft):
    """Where the route cannot hold timeouts (a GRPCRoute, or a Gateway API version without them): the total
    is TrafficPolicy.timeouts.request (0s: none)."""
    value = intent.backend_request or intent.request
    if value is None or millis(value) is None:
        return "no duration to render"
    if intent.backend_request and intent.request not in (None, "0s", intent.backend_request):
        em.caveat(intent, "TrafficPolicy.timeouts.request bounds each backend exchange; the total bound "
                          f"{intent.request} is lost")
    return [em.piece(TP, "route", {"timeouts": {"request": value}})]


def retry(em, intent: Retry, rule: RuleDraft):
    """TrafficPolicy.retry from the rule's last Retry: as on the HTTPRoute, the last one wins (ingress-nginx's
    proxy-next-upstream-tries refines proxy-next-upstream), so every Retry of the rule writes the same spec."""
    last = (_family(rule, Retry) or [intent])[-1]
    spec: dict = {"attempts": last.attempts, "retryOn": ["connect-failure", "reset"]}
    codes = sorted({c for c in last.codes if 400 <= c <= 599})
    if codes:
        spec["statusCodes"] = codes
    notes = [f"kgateway retries up to {last.attempts} times, on connection failures and resets (retryOn "
             "connect-failure, reset)" + (" and on the listed status codes" if codes else "")]
    if last.backoff:
        backoff = duration(last.backoff)
        if not millis(backoff):
            return f"backoff {last.backoff!r} is not a duration of at least 1ms"
        spec["backoffBaseInterval"] = backoff
        notes.append(f"the backoff is Envoy's jittered exponential back-off from {backoff}, capped at ten times that")
    em.caveat(intent, "; ".join(notes))
    return [em.piece(TP, "route", {"retry": spec})]


# -- CORS, compression, observability ------------------------------------------------------------------------------

_ORIGIN = re.compile(r"(^\*$)|(^(http(s)?)://(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)")
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"}


def cors(em, intent: CORS, rule: RuleDraft):
    bad = [o for o in intent.allow_origins if not _ORIGIN.match(o) or len(o) > 253]
    bad += [m for m in intent.allow_methods if m not in _METHODS]
    bad += [h for h in intent.allow_headers + intent.expose_headers if not _HEADER.match(h) or len(h) > 256]
    if bad:
        return f"TrafficPolicy.cors cannot hold {', '.join(map(repr, bad))}"
    spec: dict = {}
    for key, values in (("allowOrigins", intent.allow_origins), ("allowMethods", intent.allow_methods),
                        ("allowHeaders", intent.allow_headers), ("exposeHeaders", intent.expose_headers)):
        if values:
            if "*" in values and len(values) > 1:
                return f"cors {key} cannot mix '*' with other values"
            spec[key] = list(values)
    if intent.allow_credentials is not None:
        spec["allowCredentials"] = intent.allow_credentials
    if intent.max_age is not None:
        if intent.max_age < 1:
            em.caveat(intent, "maxAge must be at least 1 second in kgateway; 1 is used")
        spec["maxAge"] = max(1, intent.max_age)
    else:
        em.caveat(intent, "without a max age kgateway answers Access-Control-Max-Age: 5")
    return [em.piece(TP, "route", {"cors": spec})]


_CODECS = {"gzip": "Gzip", "br": "Brotli", "zstd": "Zstd"}


def compression(em, intent: CompressionPolicy, rule: RuleDraft):
    if em.on_grpc_route(rule):
        return "kgateway honours TrafficPolicy.compression on HTTPRoutes only, and this rule is on a GRPCRoute"
    wanted = [str(e).strip().lower() for e in (intent.encodings or ("gzip", "br", "zstd"))]
    libs = list(dict.fromkeys(_CODECS[e] for e in wanted if e in _CODECS))
    if not libs:
        return f"kgateway compresses with gzip, br or zstd only (asked: {', '.join(wanted)})"
    notes = ["Envoy compresses only JSON, JavaScript, HTML, CSS, plain text, XML and SVG responses (Traefik: every "
             "type not excluded)", "Envoy compresses responses from 30 bytes (Traefik: "
             f"{intent.min_response_body_bytes or 1024})"]
    dropped = [e for e in wanted if e not in _CODECS]
    if dropped:
        notes.append(f"{', '.join(dropped)} is not offered")
    if intent.excluded_content_types:
        notes.append("excludedContentTypes has no kgateway field")
    em.caveat(intent, "; ".join(notes))
    return [em.piece(TP, "route", {"compression": {"responseCompression": {"libraries": libs}}})]


def tracing(em, intent: TracingPolicy, rule: RuleDraft):
    if intent.enabled is False:
        return [em.piece(TP, "route", {"tracing": {"disable": {}}})]
    return ("kgateway traces a route only when a ListenerPolicy (httpSettings.tracing) names the collector; "
            "TrafficPolicy.tracing adjusts sampling per route. Configure the collector the controller used "
            "(otlp-collector-host) there, with the sampling it had")


def access_log(em, intent: AccessLogPolicy, rule: RuleDraft):
    if intent.enabled is False:
        em.caveat(intent, "kgateway writes no access log unless a ListenerPolicy (httpSettings.accessLog) configures "
                          "one for the Gateway; if you add one, exclude these routes with its filter")
        return []
    return "kgateway configures access logs per Gateway or listener (ListenerPolicy httpSettings.accessLog)"
