"""Istio DestinationRules: one per Service and Gateway, in the Gateway's namespace, selecting the Gateway's
pods so that the mesh's own traffic to the Service is untouched.

Settings the source made per Ingress are written only when every route of the Gateway to the Service
carries them; settings two Ingresses set differently are reported and the newer one taken back. A
mixin of the Istio emitter.
"""

from __future__ import annotations

import json

from ingress2gw.emitters.naming import fit
from ingress2gw.emitters.nginx_gateway_fabric.values import merge
from ingress2gw.emitters.standard import _meta
from ingress2gw.model.ir import RuleDraft
from ingress2gw.report import Code, ObjectRef

#: Label Istio puts on the pods it deploys for a Gateway (Gateway API automated deployment).
GATEWAY_LABEL = "gateway.networking.k8s.io/gateway-name"
#: Piece.key of DestinationRule settings the source made per route: written only when every route of
#: the Gateway to the Service carries the same piece.
PER_ROUTE = "per-route"
_HASH_KEYS = ("httpCookie", "httpHeaderName", "useSourceIp", "httpQueryParameterName")


class DestinationRules:
    def _grouped(self) -> list[tuple[tuple, list]]:
        """Pieces per (gateway, Service, kind), oldest Ingress first, each (rule, piece) once."""
        grouped: dict[tuple, dict] = {}
        for (svc_ns, svc, api, kind, _key), entries in sorted(self.service_pieces.items()):
            for piece, rule in entries:
                gw = self._rule_gw.get(id(rule))
                if gw is not None:
                    grouped.setdefault((gw, svc_ns, svc, api, kind), {}).setdefault((id(rule), piece), (piece, rule))
        return [(k, sorted(unique.values(), key=lambda e: (e[1].created == "", e[1].created, e[1].origin.key,
                                                           e[0].spec)))
                for k, unique in sorted(grouped.items())]

    def service_policies(self) -> list[dict]:
        out = []
        for (gw, svc_ns, svc, api, kind), entries in self._grouped():
            entries, refused = self._exact(gw, svc_ns, svc, entries)
            for dropped, reason in refused:
                self._refuse(dropped, reason)
            spec, sources = self._merge_service(svc_ns, svc, entries)
            if not spec.get("trafficPolicy"):
                continue
            for gw_name in self._gateway_names.get(gw, [gw[1]]):
                out.append({"apiVersion": api, "kind": kind,
                            "metadata": _meta(fit(f"{svc}--{svc_ns}--{gw_name}"), gw[0], sources),
                            "spec": {"host": f"{svc}.{svc_ns}.svc.cluster.local",
                                     "workloadSelector": {"matchLabels": {GATEWAY_LABEL: gw_name}}, **spec}})
        return out

    def _exact(self, gw, svc_ns: str, svc: str, entries: list) -> tuple[list, list[tuple[list, str]]]:
        """The pieces that can be written, and the per-route pieces that some route of the Gateway to the
        Service does not carry (with the reason)."""
        gp = self._plans.get(gw)
        to_svc: dict[int, RuleDraft] = {}
        for hp in (getattr(gp, "hosts", {}) or {}).values():
            for r in hp.http_rules + hp.https_rules:
                if any(b.namespace == svc_ns and b.name == svc for b in r.backends):
                    to_svc[id(r)] = r
        kept, refused = [], []
        for piece, rule in entries:
            if piece.key != PER_ROUTE:
                kept.append((piece, rule))
                continue
            holders = {id(r) for p, r in entries if p == piece}
            missing = sorted({r.origin.key for k, r in to_svc.items() if k not in holders})
            if missing:
                refused.append(([(piece, rule)], f"a DestinationRule applies to every route to Service {svc_ns}/{svc}, "
                                                 f"and the routes of Ingress {', '.join(missing)} do not carry this "
                                                 "setting: it would be wider than the source"))
            else:
                kept.append((piece, rule))

        # Cookie attributes without the sticky cookie itself (its lifetime) would describe no cookie.
        def cookie(p):
            return p.fragment["trafficPolicy"].get("loadBalancer", {}).get("consistentHash", {}).get("httpCookie")
        if not any(p.key == PER_ROUTE and "ttl" in (cookie(p) or {}) for p, _ in kept):
            orphans = [(p, r) for p, r in kept if p.key == PER_ROUTE and cookie(p) is not None]
            if orphans:
                refused.append((orphans, f"the sticky-session cookie of Service {svc_ns}/{svc} was not written"))
                kept = [e for e in kept if e not in orphans]
        return kept, refused

    def _merge_service(self, svc_ns: str, svc: str, entries: list) -> tuple[dict, list[str]]:
        spec: dict = {}
        sources: list[str] = []
        taken: list = []
        for piece, rule in entries:
            trial = json.loads(json.dumps(spec))
            clashes = merge(trial, piece.fragment)
            lb = trial.get("trafficPolicy", {}).get("loadBalancer", {})
            hashes = [k for k in _HASH_KEYS if k in lb.get("consistentHash", {})]
            if "simple" in lb and hashes:
                # ingress-nginx: a sticky cookie or a hash key overrides load-balance.
                if "simple" in piece.fragment["trafficPolicy"].get("loadBalancer", {}):
                    self._refuse([(piece, rule)], f"Service {svc_ns}/{svc} already hashes requests (consistent "
                                                  "hash), which overrides the balancing algorithm")
                    continue
                lb.pop("simple")
                self._refuse([e for e in taken if "simple" in e[0].fragment["trafficPolicy"].get("loadBalancer", {})],
                             f"Service {svc_ns}/{svc} hashes requests (consistent hash), which overrides the "
                             "balancing algorithm")
                taken = [e for e in taken if "simple" not in e[0].fragment["trafficPolicy"].get("loadBalancer", {})]
            if len(hashes) > 1:
                clashes.append("trafficPolicy.loadBalancer.consistentHash")
            if clashes:
                self.report.add(Code.POLICY_CONFLICT, location=rule.origin.location,
                                obj=ObjectRef("Ingress", rule.origin.namespace, rule.origin.name),
                                detail=f"DestinationRule for Service {svc_ns}/{svc}: {', '.join(clashes)} differs from "
                                       f"the value set by Ingress {sources[0] if sources else '?'}, which was kept; "
                                       "the setting applies to every route to the Service")
                self._refuse([(piece, rule)], f"DestinationRule for Service {svc_ns}/{svc}: another Ingress set "
                                              f"{', '.join(clashes)} differently")
                continue
            spec = trial
            taken.append((piece, rule))
            if rule.origin.key not in sources:
                sources.append(rule.origin.key)
        return spec, sources

    def backend_tls_policies(self) -> list[dict]:
        """The DestinationRule's TLS replaces the BackendTLSPolicy of a Service: two TLS settings for one
        backend would compete."""
        with_dr_tls = {(svc_ns, svc) for (_gw, svc_ns, svc, _api, _kind), entries in self._grouped()
                       if any("tls" in p.fragment["trafficPolicy"] for p, _ in self._exact(_gw, svc_ns, svc, entries)[0])}
        return [o for o in super().backend_tls_policies()
                if (o["metadata"]["namespace"], o["spec"]["targetRefs"][0]["name"]) not in with_dr_tls]
