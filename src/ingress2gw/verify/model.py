"""Requests and routing decisions: what the simulators take and return.

A ``Decision`` says what happened to one request, in terms both simulators can produce, so the two can be
compared field by field (``compare.py``):

- ``unserved``   nothing answers it: no listener / entry point / server for the host (``detail`` says which), or
                 an HTTPS request to a host that only the controller's self-signed default certificate covers.
- ``not-found``  a listener or server took it but no route / location matched (404).
- ``redirect``   ``status`` and ``location``.
- ``backend``    ``backends`` (a distribution: ``((ref, share), ...)``, refs ``namespace/name:port``), the
                 upstream ``path`` (with ``?query`` when there is one) and ``host``, header changes.
- ``passthrough`` TLS passed through to ``backends`` without termination.
- ``error``      the route matched but cannot forward (500: no valid backend, all weights zero).

``via`` names the source objects that produced the decision (``Ingress ns/name`` or ``HTTPRoute ns/name``);
``compare.py`` uses the Ingress names to find the findings that explain a difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

UNSERVED, NOT_FOUND, REDIRECT, BACKEND, PASSTHROUGH, ERROR = (
    "unserved", "not-found", "redirect", "backend", "passthrough", "error")


@dataclass(frozen=True)
class Request:
    host: str
    path: str = "/"
    scheme: str = "http"
    query: str = ""
    method: str = "GET"
    #: (name, value) pairs; names compare case-insensitively.
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    port: int | None = None
    #: Why the request was derived (``Ingress ns/name path /api``) or ``user``; not part of its identity.
    why: str = field(default="", compare=False)
    #: Source Ingresses the request was derived from ("ns/name"), for the finding mapping.
    origin: tuple[str, ...] = field(default=(), compare=False)

    @property
    def effective_port(self) -> int:
        return self.port or (443 if self.scheme == "https" else 80)

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        if name == "cookie" and self.cookies:
            return "; ".join(f"{k}={v}" for k, v in self.cookies)
        return None

    def cookie(self, name: str) -> str | None:
        for k, v in self.cookies:
            if k == name:
                return v
        raw = next((v for k, v in self.headers if k.lower() == "cookie"), None)
        if raw:
            for part in raw.split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
        return None

    @property
    def uri(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    def label(self) -> str:
        extra = "".join(f" [{k}: {v}]" for k, v in self.headers)
        extra += "".join(f" [cookie {k}={v}]" for k, v in self.cookies)
        if self.method != "GET":
            extra = f" {self.method}{extra}"
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{self.host}{port}{self.uri}{extra}"

    def to_dict(self) -> dict:
        d: dict = {"scheme": self.scheme, "host": self.host, "path": self.path}
        if self.port:
            d["port"] = self.port
        if self.query:
            d["query"] = self.query
        if self.method != "GET":
            d["method"] = self.method
        if self.headers:
            d["headers"] = {k: v for k, v in self.headers}
        if self.cookies:
            d["cookies"] = {k: v for k, v in self.cookies}
        return d


Distribution = tuple[tuple[str, Fraction], ...]


def distribution(weighted: list[tuple[str, int]]) -> Distribution:
    """Shares of each backend; zero weights never receive traffic; the same backend twice is merged."""
    total = sum(w for _, w in weighted if w > 0)
    if total <= 0:
        return ()
    out: dict[str, Fraction] = {}
    for ref, w in weighted:
        if w > 0:
            out[ref] = out.get(ref, Fraction(0)) + Fraction(w, total)
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class Decision:
    kind: str
    status: int | None = None
    location: str | None = None
    backends: Distribution = ()
    path: str | None = None
    host: str | None = None
    #: Request header changes, sorted: ("set"|"add"|"remove", name lower-case, value).
    headers: tuple[tuple[str, str, str], ...] = ()
    #: Response header changes on the backend's answer, as ``headers``; None: the simulator does not model them
    #: (ingress-nginx), and then they are not compared.
    response_headers: tuple[tuple[str, str, str], ...] | None = None
    via: tuple[str, ...] = field(default=(), compare=False)
    detail: str = field(default="", compare=False)
    #: Implementation objects or fields on the request's way that would change the answer but are not simulated
    #: (``verify/implementations.py``), as short strings.
    unsimulated: tuple[str, ...] = field(default=(), compare=False)

    def describe(self) -> str:
        if self.kind == REDIRECT:
            return f"{self.status} → {self.location}"
        if self.kind in (BACKEND, PASSTHROUGH):
            if len(self.backends) == 1:
                target = self.backends[0][0]
            else:
                target = " + ".join(f"{ref} ({_pct(share)})" for ref, share in self.backends)
            text = f"{target}" if self.kind == BACKEND else f"TLS passthrough to {target}"
            if self.kind == BACKEND:
                text += f" path {self.path}"
                if self.host:
                    text += f" host {self.host}"
                for op, name, value in self.headers:
                    text += f" {op} {name}" + (f": {value}" if op != "remove" else "")
                for op, name, value in self.response_headers or ():
                    text += f" response {op} {name}" + (f": {value}" if op != "remove" else "")
            return text
        if self.kind == NOT_FOUND:
            return "404" + (f" ({self.detail})" if self.detail else "")
        if self.kind == ERROR:
            return "500" + (f" ({self.detail})" if self.detail else "")
        return "not served" + (f" ({self.detail})" if self.detail else "")

    def to_dict(self) -> dict:
        d: dict = {"outcome": self.kind}
        if self.status is not None:
            d["status"] = self.status
        if self.location is not None:
            d["location"] = self.location
        if self.backends:
            d["backends"] = [{"service": ref, "share": str(share)} for ref, share in self.backends]
        if self.path is not None:
            d["path"] = self.path
        if self.host is not None:
            d["host"] = self.host
        if self.headers:
            d["headerChanges"] = [{"op": op, "name": n, "value": v} for op, n, v in self.headers]
        if self.response_headers:
            d["responseHeaderChanges"] = [{"op": op, "name": n, "value": v} for op, n, v in self.response_headers]
        if self.detail:
            d["detail"] = self.detail
        if self.unsimulated:
            d["notSimulated"] = list(self.unsimulated)
        if self.via:
            d["via"] = list(self.via)
        return d


def _pct(share: Fraction) -> str:
    value = float(share) * 100
    return f"{value:.4g}%"


def host_matches(pattern: str, host: str) -> bool:
    """``*.example.com`` matches any name with at least one more label (nginx and Gateway API agree)."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


def backend_ref(services: dict, ing, b) -> str | None:
    """``namespace/service:port`` of an Ingress backend ``b``: a named port is resolved through ``services``
    ((namespace, name) -> Service) where the Service is known, else kept by name. None without a Service."""
    if b is None or b.service is None:
        return None
    port: int | str | None = b.port_number
    if port is None and b.port_name:
        svc = services.get((ing.namespace, b.service))
        found = next((p.port for p in svc.ports if p.name == b.port_name), None) if svc else None
        port = found if found is not None else b.port_name
    return f"{ing.namespace}/{b.service}:{port}"


def split_target(url: str) -> tuple[str, str, int | None, str]:
    """``scheme://host[:port]/path?q`` → (scheme, host, port, path-with-query)."""
    scheme, _, rest = url.partition("://")
    hostport, slash, tail = rest.partition("/")
    host, _, port = hostport.partition(":")
    return scheme, host, int(port) if port.isdigit() else None, slash + tail
