"""Endpoint selection: ``load-balance``, ``upstream-hash-by`` (+ subset), ``service-upstream``.

None has a Gateway API field; implementations choose their own default algorithm (Envoy Gateway
LeastRequest, NGF ``random two least_conn``, nginx round robin)
(https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-nginx-upstream-hashing).

PolicyIntent families defined here:

- ``load-balancer``: ``algorithm`` (``round_robin`` | ``ewma``; EWMA ≈ LeastRequest), or for
  consistent hashing ``hashBy`` (the NGINX expression as written), ``hashKind`` (``sourceIP`` |
  ``header`` | ``cookie`` | ``query`` | ``uri`` | ``expression``), ``hashName`` (header/cookie/query
  name for those kinds), ``subset`` (bool) and ``subsetSize`` (int, default 3).
- ``service-upstream``: ``enabled`` (bool) — proxy to the Service's ClusterIP instead of endpoints
  (NGF UpstreamSettingsPolicy.useClusterIP; kgateway/Envoy Gateway Backend with the Service FQDN).
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    AnnotationValue, Code, Context, IngressDraft, LoadBalancerPolicy, Report, ServiceUpstreamPolicy, Status,
)
from ingress2gw.plugin import parse_int

from ingress2gw_nginx.values import TRUE, sibling
from ingress2gw_nginx.registry import REGISTRY

PROVIDER = "ingress-nginx"


def hash_kind(expr: str) -> tuple[str, str]:
    """(kind, name) of an NGINX hash expression."""
    e = expr.strip()
    if e in ("$remote_addr", "$binary_remote_addr"):
        return "sourceIP", ""
    if e in ("$request_uri", "$uri"):
        return "uri", ""
    for prefix, kind in (("$http_", "header"), ("$cookie_", "cookie"), ("$arg_", "query")):
        if re.fullmatch(re.escape(prefix) + r"[A-Za-z0-9_]+", e):
            name = e[len(prefix):]
            return kind, name.replace("_", "-") if kind == "header" else name
    return "expression", ""


@REGISTRY.annotation(
    "load-balance", produces=('load-balancer',), area="lb", status=Status.POLICY, maps_to="policy load-balancer.algorithm",
    caveat="The balancing algorithm has no Gateway API field; each gateway has its own default.",
    remediation="Set the algorithm in your gateway's backend policy if it matters (EWMA ≈ least request).",
)
def load_balance(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    algo = value.text.strip()
    if algo not in ("round_robin", "ewma"):
        value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected round_robin or ewma", at_value=True)
        return
    if sibling(value, "upstream-hash-by"):
        value.report(report, Code.ANNOTATION_IGNORED, "upstream-hash-by overrides load-balance")
        return
    value.attach(draft, LoadBalancerPolicy, algorithm=algo)


@REGISTRY.annotation(
    "upstream-hash-by", produces=('load-balancer',), area="lb", status=Status.POLICY, maps_to="policy load-balancer.hashBy",
    caveat="Consistent hashing has no Gateway API field.",
    remediation="Configure consistent hashing in your gateway's backend policy; composite NGINX expressions "
                "have no Envoy equivalent.",
)
def upstream_hash_by(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    expr = value.text.strip()
    if not expr:
        value.report(report, Code.ANNOTATION_INVALID_VALUE, "empty hash expression", at_value=True)
        return
    kind, name = hash_kind(expr)
    fields: dict = {"hashBy": expr, "hashKind": kind}
    if name:
        fields["hashName"] = name
    if (sibling(value, "upstream-hash-by-subset") or "").strip() in TRUE:
        size = (sibling(value, "upstream-hash-by-subset-size") or "3").strip()
        size_n = parse_int(size) if size.isdigit() else None
        fields |= {"subset": True, "subsetSize": 3 if size_n is None else size_n}
    value.attach(draft, LoadBalancerPolicy, **fields)


def _subset(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if not sibling(value, "upstream-hash-by"):
        value.report(report, Code.ANNOTATION_IGNORED, f"{value.name} has no effect without upstream-hash-by")
    else:
        value.report(report, Code.ANNOTATION_UNSUPPORTED, "hashing to a subset of endpoints has no equivalent "
                     "in Gateway API or the common implementations (kept in the load-balancer policy parameters)")


REGISTRY.annotation("upstream-hash-by-subset", area="lb", status=Status.UNSUPPORTED, maps_to="policy "
                    "load-balancer.subset")(_subset)
REGISTRY.annotation("upstream-hash-by-subset-size", area="lb", status=Status.UNSUPPORTED, maps_to="policy "
                    "load-balancer.subsetSize")(_subset)


@REGISTRY.annotation(
    "service-upstream", produces=('service-upstream',), area="lb", status=Status.POLICY, maps_to="policy service-upstream.enabled",
    caveat="Gateway API backendRefs leave endpoint selection to the gateway.",
    remediation="Use your gateway's ClusterIP option (NGF UpstreamSettingsPolicy.useClusterIP) if needed.",
)
def service_upstream(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    text = value.text.strip()
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        value.report(report, Code.ANNOTATION_TRANSLATED, "false is the default: the gateway balances over endpoints")
        return
    if text not in TRUE:
        value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected true or false", at_value=True)
        return
    value.attach(draft, ServiceUpstreamPolicy, enabled=True)
