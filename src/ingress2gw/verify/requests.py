"""The requests ``verify`` replays: derived from the Ingresses themselves, plus a user's ``--requests FILE``.

Derived, for every host (a wildcard ``*.a.com`` becomes ``x.a.com`` and the deeper ``x.y.a.com``; a rule without
host uses ``any-host.ingress2gw.test``) × every path of every Ingress of that host:
the path itself, with and without a trailing ``/``, one more segment (``/p/x``), a sibling prefix (``/px``), the
path in upper case; plus ``/`` and an unmatched path per host, ``/.well-known/acme-challenge/x``; each canary
header and cookie (``always``, ``never``, ``canary-by-header-value``); all of it over ``http`` and ``https``.
Regex paths contribute their literal head (``/api(/|$)(.*)`` → ``/api``).

``--requests FILE`` is YAML (or JSON): a list of requests, each a mapping::

    - host: shop.example.com          # required
      path: /api/v1                   # default /
      scheme: https                   # http (default) | https
      port: 8443                      # default 80 / 443 by scheme
      query: "a=1&b=2"                # without "?"
      method: POST                    # default GET
      headers: {X-Canary: always}
      cookies: {session: abc}
"""

from __future__ import annotations

import re

from ingress2gw.source.objects import Ingress
from ingress2gw.verify.model import Request

ANY_HOST = "any-host.ingress2gw.test"
_META = re.compile(r"[.^$*+?()\[\]{}|\\]")
NGINX_CANARY = "nginx.ingress.kubernetes.io/"


def literal_head(path: str) -> str:
    """The part of a (possibly regex) path before its first regex metacharacter."""
    m = _META.search(path)
    head = path[: m.start()] if m else path
    return head or "/"


def sample_hosts(host: str | None) -> list[str]:
    if not host:
        return [ANY_HOST]
    if host.startswith("*."):
        return ["x" + host[1:], "x.y" + host[1:]]
    return [host]


def path_variants(path: str) -> list[str]:
    p = literal_head(path or "/")
    out = [p]
    if p != "/":
        base = p.rstrip("/") or "/"
        out += [base, base + "/", base + "/x", base + "x", base.upper(), base + "/x/"]
    return out


def derive(ingresses: list[Ingress], prefix: str = NGINX_CANARY) -> list[Request]:
    by_host: dict[str, list[tuple[Ingress, str]]] = {}
    for ing in ingresses:
        for rule in ing.rules:
            for h in sample_hosts(rule.host):
                for p in rule.paths:
                    by_host.setdefault(h, []).append((ing, p.path or "/"))
        if ing.default_backend is not None and not ing.rules:
            by_host.setdefault(ANY_HOST, []).append((ing, "/"))
    out: dict[Request, Request] = {}

    def add(r: Request) -> None:
        if r not in out:
            out[r] = r

    for host in sorted(by_host):
        items = by_host[host]
        origins = tuple(sorted({f"{i.namespace}/{i.name}" for i, _ in items}))
        paths = ["/", "/ingress2gw-unmatched", "/.well-known/acme-challenge/x"]
        for ing, p in items:
            paths += path_variants(p)
        extras: list[tuple[tuple, tuple]] = [((), ())]
        for ing, _ in items:
            a = ing.annotations
            header = a.get(prefix + "canary-by-header")
            if header:
                for v in ("always", "never", a.get(prefix + "canary-by-header-value")):
                    if v:
                        extras.append((((header, v),), ()))
            cookie = a.get(prefix + "canary-by-cookie")
            if cookie:
                for v in ("always", "never"):
                    extras.append(((), ((cookie, v),)))
        for scheme in ("http", "https"):
            for path in dict.fromkeys(paths):
                for headers, cookies in dict.fromkeys(extras):
                    add(Request(host=host, path=path, scheme=scheme, headers=headers, cookies=cookies,
                                why="derived", origin=origins))
    return list(out)


class RequestFileError(ValueError):
    pass


def load_requests(text: str, source: str = "requests") -> list[Request]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as e:
        raise RequestFileError(f"{source}: not YAML: {e}") from e
    if not isinstance(data, list):
        raise RequestFileError(f"{source}: expected a list of requests")
    out = []
    for i, item in enumerate(data):
        where = f"{source}: request {i + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("host"), str):
            raise RequestFileError(f"{where}: a mapping with a host is required")
        scheme = item.get("scheme", "http")
        if scheme not in ("http", "https"):
            raise RequestFileError(f"{where}: scheme must be http or https")
        path = str(item.get("path", "/"))
        if not path.startswith("/"):
            raise RequestFileError(f"{where}: path must start with /")
        port = item.get("port")
        if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
            raise RequestFileError(f"{where}: port must be a number")
        for key in ("headers", "cookies"):
            if item.get(key) is not None and not isinstance(item[key], dict):
                raise RequestFileError(f"{where}: {key} must be a mapping")
        out.append(Request(
            host=item["host"], path=path, scheme=scheme, query=str(item.get("query", "")).lstrip("?"),
            method=str(item.get("method", "GET")).upper(), port=port,
            headers=tuple((str(k), str(v)) for k, v in (item.get("headers") or {}).items()),
            cookies=tuple((str(k), str(v)) for k, v in (item.get("cookies") or {}).items()), why="user",
        ))
    return out
