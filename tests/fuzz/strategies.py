"""Hypothesis strategies for whole manifests: Ingresses, Services, IngressClasses, the ingress-nginx controller
ConfigMap and Traefik Middlewares, with annotation keys taken from the providers' own registries and values
drawn both from plausible settings and from hostile generators (control characters, injection text, huge
numbers, very long strings, odd Unicode, wrong types)."""

from __future__ import annotations

from functools import lru_cache

from hypothesis import strategies as st

#: Values a real manifest carries for some annotation (booleans, durations, sizes, paths, URLs, lists...).
PLAUSIBLE = (
    "true", "false", "True", "0", "1", "3", "30", "60", "308", "503", "10s", "1m30s", "500ms", "8k", "1m", "100m",
    "0.5", "/", "/$1", "/$2", "/app", "/app/(.*)", "/api(/|$)(.*)", "^/old/(.*)", "https://auth.example.com/auth",
    "http://$host/login?rd=$escaped_request_uri", "https://example.com$request_uri", "GET", "GET, POST", "*",
    "https://a.example.com, https://b.example.com", "X-Request-Id", "Authorization, X-User", "10.0.0.0/8",
    "192.168.0.1/32, ::1/128", "cookie", "route", "$http_x_user", "$remote_addr", "HTTPS", "GRPC", "GRPCS",
    "shop/tls-secret", "tls-secret", "basic", "digest", "auth-users", "upstream.example.com", "web-web@kubernetescrd",
    "shop-strip@kubernetescrd", "websecure", "web,websecure", "Path", "PathPrefix", "canary", "always", "never",
    "ip_hash", "ewma", "round_robin", "default/custom-headers", "more_set_headers \"X-A: b\";",
    "proxy_set_header X-A b;", "header", "5xx", "error timeout http_502", "on", "off", "120", "2",
)
#: Written as this text, then replaced in the YAML by a bare number of 5,000 digits (``raw_text``): no Python int of
#: that size can be written out, but a manifest can hold one.
HUGE_INT = "HUGE-INT-PLACEHOLDER"
#: Values an attacker, a broken template or a bad copy-paste put there.
HOSTILE = (
    "", " ", "\t", "-1", "-0", "+5", HUGE_INT, "1e309", "NaN", "inf", "0x10", "9" * 5000, "1" + "0" * 4400, "1_000",
    "value\r\nX-Injected: yes", "a\nb", "\x00", "\x07bell", "\x1b[31mred", "\u202eevil", "\u200b", "é", "日本",
    "/;} location /x {", "$(reboot)", "`id`", "../../etc/passwd", "/%2e%2e/", "//evil.example.com", "\\",
    "(a+)+$", "((((", "[", "{{ .Values }}", "${HOME}", "%", "' OR 1=1 --", "<script>", "a" * 3000,
    "/" + "x" * 1100, "*." * 60 + "com", "x" * 70 + ".example.com", "0.0.0.0/-1", "300.1.1.1/8", "::/129",
    "http://[::1", "https://", "ftp://x", "999999999999999999999", "-9999999999", "1m" * 50,
)
VALUE = st.one_of(st.sampled_from(PLAUSIBLE), st.sampled_from(HOSTILE),
                  st.text(max_size=40), st.from_regex(r"\A[0-9]{1,25}[smhk]?\Z"))
#: Values of the wrong YAML type where a string is expected.
ODD = st.one_of(st.integers(min_value=-(10 ** 30), max_value=10 ** 30), st.booleans(), st.none(),
                st.floats(allow_nan=True), st.just([]), st.just({}), st.just(["a", 1]), st.just({"a": None}))

def mostly(usual, *rare):
    """``usual`` nine times in ten, else one of ``rare``: inputs are mostly sound, with hostile parts here and
    there (an all-hostile input only exercises the first check that refuses it)."""
    # (hypothesis favours small integers: 0 must be the usual case)
    return st.integers(0, 9).flatmap(lambda n: usual if n < 9 or not rare else st.one_of(*rare))


LABEL = st.from_regex(r"\A[a-z]([a-z0-9-]{0,8}[a-z0-9])?\Z")
NAME = mostly(st.one_of(st.sampled_from(["web", "api", "shop", "auth", "canary", "web-2"]), LABEL),
              st.sampled_from(["", "UPPER", "a/b", "x" * 300, "a..b", "-a", "\x00", "9lives"]))
NAMESPACE = mostly(st.sampled_from(["shop", "web", "default", "ingress-nginx", "traefik"]),
                   st.sampled_from(["kube-system", "NotALabel", "", "x" * 70]))
HOST = mostly(
    st.one_of(st.builds(lambda labels, wild: ("*." if wild else "") + ".".join(labels),
                        st.lists(LABEL, min_size=2, max_size=3), st.booleans()),
              st.sampled_from(["shop.example.com", "*.example.com", "api.example.com"])),
    st.sampled_from(["", "UPPER.example.com", "a..b", "1.2.3.4", "x" * 260, "host:8080", "exa mple.com", "*",
                     "xn--caf-dma.example", "x" * 70 + ".example.com"]),
)
PATH = mostly(
    st.one_of(st.sampled_from(["/", "/api", "/api/", "/app/(.*)", "/api(/|$)(.*)", "/.well-known/acme"]),
              st.from_regex(r"\A/[a-zA-Z0-9._~/-]{0,20}\Z")),
    st.sampled_from(["/a b", "/%2F", "/x{", "", "api", "/" + "p" * 1100, "/\x00", "/日本", "/(?i)x", "/*"]),
)
PORT = mostly(st.sampled_from([80, 443, 8080, "http", "https", "grpc"]),
              st.sampled_from([0, -1, 65536, 10 ** 20, HUGE_INT, "", "9" * 5000, "UPPER", "a-very-long-port-name"]))
PATH_TYPE = mostly(st.sampled_from(["Prefix", "Exact", "ImplementationSpecific"]),
                   st.sampled_from(["prefix", "", None]))
CLASS = mostly(st.sampled_from(["nginx", "traefik"]), st.sampled_from(["other", None]))
ANNOTATION_VALUE = mostly(st.sampled_from(PLAUSIBLE), st.sampled_from(HOSTILE), st.text(max_size=40),
                          st.from_regex(r"\A[0-9]{1,25}[smhk]?\Z"), ODD)


@lru_cache(maxsize=None)
def annotation_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(Ingress annotation keys, Service annotation keys) of every installed provider, from its registry."""
    from ingress2gw.plugin import load_providers

    ingress, service = [], []
    for provider in load_providers().values():
        registry = provider.registry
        for spec in registry.specs():
            name = spec.name.replace(".n.", ".0.") if spec.pattern else spec.name
            key = registry.prefix + name if spec.prefixed else name
            (service if spec.kind == "service-annotation" else ingress).append(key)
    ingress += ["nginx.ingress.kubernetes.io/not-a-real-key", "example.com/unknown", "kubernetes.io/ingress.class"]
    return tuple(sorted(set(ingress))), tuple(sorted(set(service)))


@st.composite
def annotations(draw, service: bool = False) -> dict:
    keys = annotation_keys()[1 if service else 0]
    out = {}
    for key in draw(st.lists(st.sampled_from(keys), max_size=6, unique=True)):
        out[key] = draw(ANNOTATION_VALUE)
    return out


def _meta(draw, kind_ns: bool = True, **extra) -> dict:
    meta = {"name": draw(NAME)}
    if kind_ns:
        meta["namespace"] = draw(NAMESPACE)
    if draw(st.booleans()):
        meta["creationTimestamp"] = draw(mostly(st.sampled_from(["2024-01-01T00:00:00Z", "2025-06-01T12:00:00Z"]),
                                                st.sampled_from(["not a date", 12])))
    meta.update(extra)
    return meta


@st.composite
def backend(draw) -> dict:
    if draw(st.integers(0, 9)) == 9:
        return draw(st.sampled_from([{}, {"resource": {"kind": "Bucket", "name": "b"}}, {"service": "x"}]))
    port = draw(PORT)
    return {"service": {"name": draw(NAME), "port": {"name" if isinstance(port, str) else "number": port}}}


@st.composite
def ingress(draw) -> dict:
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        rule: dict = {}
        if draw(st.booleans()):
            rule["host"] = draw(HOST)
        paths = []
        for _ in range(draw(st.integers(1, 3))):
            p = {"path": draw(PATH), "pathType": draw(PATH_TYPE), "backend": draw(backend())}
            if p["pathType"] is None:
                del p["pathType"]
            paths.append(p)
        rule["http"] = {"paths": paths}
        rules.append(rule)
    spec: dict = {"rules": rules}
    cls = draw(CLASS)
    if cls:
        spec["ingressClassName"] = cls
    if draw(st.integers(0, 3)) == 3:
        spec["defaultBackend"] = draw(backend())
    if draw(st.booleans()):
        hosts = [r["host"] for r in rules if isinstance(r.get("host"), str)]
        spec["tls"] = [{"hosts": hosts[: draw(st.integers(0, len(hosts)))],
                        "secretName": draw(mostly(st.just("tls"), st.sampled_from(["shop/tls", "", "a" * 300])))}]
    meta = _meta(draw)
    meta["annotations"] = draw(annotations())
    version = draw(mostly(st.just("networking.k8s.io/v1"), st.just("extensions/v1beta1")))
    if version == "extensions/v1beta1":  # the legacy backend spelling
        for r in rules:
            for p in r["http"]["paths"]:
                svc = p["backend"].get("service") if isinstance(p["backend"], dict) else None
                if isinstance(svc, dict):
                    port = svc.get("port", {})
                    p["backend"] = {"serviceName": svc.get("name"),
                                    "servicePort": port.get("number", port.get("name"))}
    return {"apiVersion": version, "kind": "Ingress", "metadata": meta, "spec": spec}


@st.composite
def service(draw) -> dict:
    ports = [{"name": draw(st.sampled_from(["http", "https", "grpc", "", "UPPER"])),
              "port": draw(st.sampled_from([80, 443, 8080, 0, 70000, "80"])),
              "protocol": draw(st.sampled_from(["TCP", "UDP", "SCTP"]))}
             for _ in range(draw(st.integers(0, 2)))]
    spec: dict = {"ports": ports}
    if draw(st.integers(0, 4)) == 4:
        spec = {"type": "ExternalName", "externalName": draw(HOST), "ports": ports}
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(draw, annotations=draw(annotations(True))),
            "spec": spec}


@st.composite
def ingress_class(draw) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": _meta(draw, kind_ns=False, name=draw(CLASS) or "nginx"),
            "spec": {"controller": draw(st.sampled_from(["k8s.io/ingress-nginx", "traefik.io/ingress-controller",
                                                         "example.com/other", ""]))}}


@lru_cache(maxsize=None)
def controller_keys() -> tuple[str, ...]:
    from ingress2gw_nginx.config import DEFAULTS

    return tuple(sorted(DEFAULTS)) + ("server-snippet", "http-snippet", "not-a-key")


@st.composite
def controller_configmap(draw) -> dict:
    keys = draw(st.lists(st.sampled_from(controller_keys()), max_size=6, unique=True))
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
            "data": {k: draw(VALUE) for k in keys}}


#: Traefik Middleware kinds with the fields a fuzzed spec sets.
MIDDLEWARE_FIELDS = {
    "headers": ("customRequestHeaders", "customResponseHeaders", "accessControlAllowOriginList", "stsSeconds",
                "frameDeny", "contentTypeNosniff"),
    "stripPrefix": ("prefixes",), "stripPrefixRegex": ("regex",), "addPrefix": ("prefix",),
    "replacePath": ("path",), "replacePathRegex": ("regex", "replacement"),
    "redirectScheme": ("scheme", "permanent", "port"), "redirectRegex": ("regex", "replacement", "permanent"),
    "basicAuth": ("secret", "realm", "removeHeader", "headerField"),
    "forwardAuth": ("address", "trustForwardHeader", "authResponseHeaders", "tls"),
    "rateLimit": ("average", "burst", "period"), "ipAllowList": ("sourceRange", "ipStrategy"),
    "retry": ("attempts", "initialInterval"), "buffering": ("maxRequestBodyBytes",), "compress": ("encodings",),
    "chain": ("middlewares",), "inFlightReq": ("amount",), "circuitBreaker": ("expression",),
    "errors": ("status", "service", "query"),
}


@st.composite
def middleware_value(draw, field: str):
    if field in ("customRequestHeaders", "customResponseHeaders"):
        return draw(st.dictionaries(st.one_of(st.sampled_from(["X-A", "", "a b", "X\r\nY"]), st.text(max_size=8)),
                                    VALUE, max_size=3))
    if field in ("prefixes", "accessControlAllowOriginList", "sourceRange", "authResponseHeaders", "encodings",
                 "status"):
        return draw(st.lists(VALUE, max_size=3))
    if field == "middlewares":
        return [{"name": draw(NAME), **({"namespace": draw(NAMESPACE)} if draw(st.booleans()) else {})}
                for _ in range(draw(st.integers(0, 3)))]
    if field in ("service", "ipStrategy", "tls"):
        return draw(st.sampled_from([{"name": "errors", "port": 80}, {"depth": -1}, {"insecureSkipVerify": True},
                                     {}, "x"]))
    return draw(st.one_of(VALUE, ODD))


@st.composite
def middleware(draw) -> dict:
    kind = draw(st.sampled_from(sorted(MIDDLEWARE_FIELDS)))
    fields = draw(st.lists(st.sampled_from(MIDDLEWARE_FIELDS[kind]), min_size=1, unique=True))
    spec = {kind: {f: draw(middleware_value(f)) for f in fields}}
    group = draw(st.sampled_from(["traefik.io", "traefik.containo.us"]))
    return {"apiVersion": f"{group}/v1alpha1", "kind": "Middleware", "metadata": _meta(draw), "spec": spec}


@st.composite
def manifests(draw) -> list[dict]:
    """A whole input: some Ingresses and the objects they refer to, sometimes broken."""
    docs = draw(st.lists(ingress(), min_size=1, max_size=4))
    docs += draw(st.lists(service(), max_size=3))
    docs += draw(st.lists(ingress_class(), max_size=2))
    docs += draw(st.lists(middleware(), max_size=3))
    if draw(st.booleans()):
        docs.append(draw(controller_configmap()))
    return draw(st.permutations(docs))


#: Damage done to the text of a valid manifest (a bad byte, a cut, a tab, deep nesting, JSON instead of YAML).
DAMAGE = ("nul", "latin1", "truncate", "tab", "deep", "json", "dupkey")


@st.composite
def raw_text(draw, docs: list[dict]) -> bytes:
    """The manifests as a user's file might hold them: YAML (sometimes JSON), sometimes damaged."""
    import json

    from ingress2gw.yaml_writer import dump_documents

    damage = draw(mostly(st.just("none"), st.sampled_from(DAMAGE)))
    if damage == "json":
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}, indent=1, default=str)
        text = text.replace(f'"{HUGE_INT}"', "9" * 5000)
    else:
        text = dump_documents(docs)
        text = text.replace(f"'{HUGE_INT}'", "9" * 5000).replace(HUGE_INT, "9" * 5000)
    data = text.encode("utf-8", "surrogatepass")
    if damage in ("nul", "latin1", "truncate", "tab") and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + {"nul": b"\x00", "latin1": b"\xe9\xff", "truncate": b"", "tab": b"\t"}[damage] + (
            b"" if damage == "truncate" else data[at:])
    elif damage == "deep":
        data += b"\n---\n" + b"[" * 5000 + b"]" * 5000 + b"\n"
    elif damage == "dupkey":
        data += (b"\n---\napiVersion: v1\nkind: Service\nmetadata: {name: dup, namespace: shop}\n"
                 b"metadata: {name: dup2}\nspec: {ports: [{port: 80}]}\n")
    return data
