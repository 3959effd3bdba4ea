"""Valid objects written for these tests (one per kind), as plain dicts."""

from __future__ import annotations

import copy

GW = "gateway.networking.k8s.io"


def meta(name: str, ns: str | None = "default") -> dict:
    m = {"name": name}
    if ns:
        m["namespace"] = ns
    return m


def gateway(v: str = "v1") -> dict:
    return {
        "apiVersion": f"{GW}/{v}", "kind": "Gateway", "metadata": meta("gw"),
        "spec": {
            "gatewayClassName": "example",
            "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80, "hostname": "*.example.com",
                 "allowedRoutes": {"namespaces": {"from": "Same"}}},
                {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "app.example.com",
                 "tls": {"mode": "Terminate", "certificateRefs": [{"name": "app-cert"}]}},
                {"name": "tls", "protocol": "TLS", "port": 8443, "hostname": "db.example.com",
                 "tls": {"mode": "Passthrough"}},
            ],
        },
    }


def httproute(v: str = "v1") -> dict:
    return {
        "apiVersion": f"{GW}/{v}", "kind": "HTTPRoute", "metadata": meta("web"),
        "spec": {
            "parentRefs": [{"name": "gw", "sectionName": "https"}],
            "hostnames": ["app.example.com"],
            "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": "/api"},
                              "headers": [{"name": "X-Env", "value": "prod"}],
                              "method": "GET"}],
                 "filters": [
                     {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch",
                                                                     "replacePrefixMatch": "/v2"}}},
                     {"type": "RequestHeaderModifier",
                      "requestHeaderModifier": {"set": [{"name": "X-A", "value": "1"}], "remove": ["X-B"]}},
                 ],
                 "backendRefs": [{"name": "api", "port": 8080, "weight": 90},
                                 {"name": "api-canary", "port": 8080, "weight": 10}],
                 "timeouts": {"request": "10s", "backendRequest": "5s"}},
                {"matches": [{"path": {"type": "Exact", "value": "/old"}}],
                 "filters": [{"type": "RequestRedirect",
                              "requestRedirect": {"scheme": "https", "statusCode": 301,
                                                  "path": {"type": "ReplaceFullPath", "replaceFullPath": "/new"}}}]},
                {"backendRefs": [{"name": "web", "port": 80}]},
            ],
        },
    }


def grpcroute(v: str = "v1") -> dict:
    return {
        "apiVersion": f"{GW}/{v}", "kind": "GRPCRoute", "metadata": meta("grpc"),
        "spec": {
            "parentRefs": [{"name": "gw"}],
            "hostnames": ["grpc.example.com"],
            "rules": [{"matches": [{"method": {"service": "foo.v1.Greeter", "method": "Hello"}}],
                       "backendRefs": [{"name": "greeter", "port": 50051}]}],
        },
    }


def tlsroute(v: str = "v1") -> dict:
    return {
        "apiVersion": f"{GW}/{v}", "kind": "TLSRoute", "metadata": meta("db"),
        "spec": {"parentRefs": [{"name": "gw", "sectionName": "tls"}], "hostnames": ["db.example.com"],
                 "rules": [{"backendRefs": [{"name": "db", "port": 5432}]}]},
    }


def referencegrant(v: str = "v1") -> dict:
    return {
        "apiVersion": f"{GW}/{v}", "kind": "ReferenceGrant", "metadata": meta("allow", "backends"),
        "spec": {"from": [{"group": GW, "kind": "HTTPRoute", "namespace": "default"}],
                 "to": [{"group": "", "kind": "Service"}]},
    }


def backendtlspolicy(v: str = "v1") -> dict:
    return {
        "apiVersion": f"{GW}/{v}", "kind": "BackendTLSPolicy", "metadata": meta("api-tls"),
        "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": "api"}],
                 "validation": {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca"}],
                                "hostname": "api.internal"}},
    }


def listenerset(v: str = "v1") -> dict:
    return {
        "apiVersion": f"{GW}/{v}", "kind": "ListenerSet", "metadata": meta("extra"),
        "spec": {"parentRef": {"name": "gw"},
                 "listeners": [{"name": "extra-http", "protocol": "HTTP", "port": 8080,
                                "hostname": "extra.example.com"}]},
    }


def kgateway_trafficpolicy() -> dict:
    return {
        "apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "TrafficPolicy", "metadata": meta("tp"),
        "spec": {"targetRefs": [{"group": GW, "kind": "HTTPRoute", "name": "web"}],
                 "timeouts": {"request": "30s"},
                 "buffer": {"maxRequestSize": "1Mi"}},
    }


def envoy_backendtrafficpolicy() -> dict:
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy", "metadata": meta("btp"),
        "spec": {"targetRefs": [{"group": GW, "kind": "HTTPRoute", "name": "web"}],
                 "timeout": {"http": {"requestTimeout": "10s"}},
                 "loadBalancer": {"type": "RoundRobin"}},
    }


def envoy_securitypolicy() -> dict:
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "SecurityPolicy", "metadata": meta("sp"),
        "spec": {"targetRefs": [{"group": GW, "kind": "HTTPRoute", "name": "web"}],
                 "cors": {"allowOrigins": ["https://app.example.com"], "allowMethods": ["GET", "POST"]},
                 "basicAuth": {"users": {"name": "htpasswd"}}},
    }


def ngf_clientsettingspolicy() -> dict:
    return {
        "apiVersion": "gateway.nginx.org/v1alpha1", "kind": "ClientSettingsPolicy", "metadata": meta("csp"),
        "spec": {"targetRef": {"group": GW, "kind": "Gateway", "name": "gw"},
                 "body": {"maxSize": "10m", "timeout": "30s"},
                 "keepAlive": {"requests": 100, "timeout": {"server": "60s", "header": "5s"}}},
    }


def traefik_middleware() -> dict:
    return {
        "apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": meta("strip"),
        "spec": {"stripPrefix": {"prefixes": ["/api"]}},
    }


def istio_authorizationpolicy() -> dict:
    return {
        "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": meta("allow-get"),
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "action": "ALLOW",
                 "rules": [{"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}],
                            "to": [{"operation": {"methods": ["GET"], "paths": ["/api/*"]}}]}]},
    }


def istio_destinationrule() -> dict:
    return {
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta("web"),
        "spec": {"host": "web.default.svc.cluster.local",
                 "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"},
                                   "connectionPool": {"http": {"http1MaxPendingRequests": 100}}},
                 "subsets": [{"name": "v1", "labels": {"version": "v1"}}]},
    }


def deep(obj: dict) -> dict:
    return copy.deepcopy(obj)
