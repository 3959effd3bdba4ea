"""Where NGINX Gateway Fabric objects attach: policies on routes (ClientSettingsPolicy has a single
``targetRef``), UpstreamSettingsPolicy on Services, SnippetsPolicy on the Gateway, and the filters that
rules reference with ``ExtensionRef`` (AuthenticationFilter, SnippetsFilter).

A mixin of the NGF emitter: rules are rendered in groups of drafts with the same filters, so two drafts
with different filters never share a rule. Redirect rules get no filter: NGINX redirects before it
authenticates.
"""

from __future__ import annotations

import hashlib
import json

from ingress2gw.emitters.implementation import Piece
from ingress2gw.emitters.naming import dns_label, fit
from ingress2gw.emitters.nginx_gateway_fabric.values import claimable, merge
from ingress2gw.emitters.standard import GROUP, _meta, _precedence, sort_key
from ingress2gw.model.ir import RuleDraft
from ingress2gw.report import Code, ObjectRef

NGF = "gateway.nginx.org"
V1A1 = f"{NGF}/v1alpha1"
#: Pieces of this scope become an ``ExtensionRef`` filter on each rule (not a targetRef policy).
RULE = "rule"


class Attachment:
    def policy_object(self, piece_kind, api_version, name, namespace, target, spec, sources):
        if piece_kind == "ClientSettingsPolicy":  # the one NGF policy with a single targetRef
            return {"apiVersion": api_version, "kind": piece_kind, "metadata": _meta(name, namespace, sources),
                    "spec": {"targetRef": target, **spec}}
        return super().policy_object(piece_kind, api_version, name, namespace, target, spec, sources)

    def attach_route_policies(self, out, ns, route_names, pieces, sources) -> None:
        by_kind: dict[tuple, dict] = {}
        for p in pieces:
            if p.scope == "route":
                merge(by_kind.setdefault((p.api_version, p.kind, p.key), {}), p.fragment)
        for name in route_names:
            for (api, kind, key), spec in sorted(by_kind.items()):
                target = {"group": GROUP, "kind": "HTTPRoute", "name": name}
                out.append(self.policy_object(kind, api, fit(f"{name}--{key}" if key else name), ns, target,
                                              json.loads(json.dumps(spec)), list(sources)))

    def rules(self, drafts: list[RuleDraft], route_ns: str) -> list[dict]:
        """Standard rules, plus an ExtensionRef filter per AuthenticationFilter/SnippetsFilter piece.

        Rules are rendered in groups of drafts with the same filters, so two drafts with different
        filters never share a rule. Redirect rules get none: NGINX redirects before it authenticates.
        """
        groups: dict[tuple, list[RuleDraft]] = {}
        for r in drafts:
            sig = tuple(sorted({p for p in self.pieces_for(r).pieces if p.scope == RULE}, key=lambda p: (p.kind, p.spec)))
            groups.setdefault(sig, []).append(r)
        out: list[dict] = []
        for sig, group in sorted(groups.items(), key=lambda kv: repr(kv[0])):
            rendered = super().rules(group, route_ns)
            refs = self._filter_refs(route_ns, sig, group)
            for rule in rendered:
                self._strip_claimed_timeouts(rule)
                if refs and not any(f["type"] == "RequestRedirect" for f in rule.get("filters", [])):
                    filters = list(rule.pop("filters", [])) + refs
                    rest = {k: rule.pop(k) for k in list(rule) if k != "matches"}
                    rule.update({"filters": filters, **rest})  # the standard key order: matches, filters, ...
            out += rendered
        out.sort(key=lambda r: (_precedence(r), repr(r)))
        return out

    @staticmethod
    def _strip_claimed_timeouts(rule: dict) -> None:
        timeouts = rule.get("timeouts") or {}
        if claimable(timeouts):
            del rule["timeouts"]  # carried by ProxySettingsPolicy.timeout.read (or NGF's 60s default)
        elif timeouts == {"request": "0s"}:
            del rule["timeouts"]  # no bound on the whole response: NGINX has none (and NGF ignores the field)

    def _filter_refs(self, ns: str, sig: tuple, group: list[RuleDraft]) -> list[dict]:
        by_kind: dict[str, dict] = {}
        for p in sig:
            spec = by_kind.setdefault(p.kind, {})
            for clash in merge(spec, p.fragment):
                self.report.add(Code.POLICY_CONFLICT, location=group[0].origin.location,
                                obj=ObjectRef("Ingress", group[0].origin.namespace, group[0].origin.name),
                                detail=f"{p.kind}: {clash} is set twice for the same rules; the first was kept")
        refs = []
        for kind, spec in sorted(by_kind.items()):
            if kind == "SnippetsFilter":  # one snippet per context
                seen: set = set()
                spec["snippets"] = [s for s in spec["snippets"] if not (s["context"] in seen or seen.add(s["context"]))]
            digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:6]
            stem = spec["basic"]["secretRef"]["name"] if kind == "AuthenticationFilter" else "snippets"
            name = fit(f"{dns_label(stem)}--{digest}")
            entry = self._filters.setdefault((ns, kind, name), [spec, set()])
            entry[1].update(r.origin.key for r in group)
            refs.append({"type": "ExtensionRef", "extensionRef": {"group": NGF, "kind": kind, "name": name}})
        return refs

    def service_policies(self) -> list[dict]:
        """UpstreamSettingsPolicy per Service; a setting another Ingress set differently is reported and
        its intent taken back (the oldest Ingress's value is kept, as the controller did)."""
        out = []
        for (ns, svc, api, kind, key), entries in sorted(self.service_pieces.items()):
            unique: dict = {}
            for piece, rule in entries:
                unique.setdefault((id(rule), piece), (piece, rule))
            spec: dict = {}
            sources: list[str] = []
            for piece, rule in sorted(unique.values(), key=lambda e: (e[1].created == "", e[1].created,
                                                                       e[1].origin.key, e[0].spec)):
                trial = json.loads(json.dumps(spec))
                clashes = merge(trial, piece.fragment)
                if clashes:
                    detail = (f"{kind} for Service {ns}/{svc}: {', '.join(clashes)} differs from the value set by "
                              f"Ingress {sources[0]}, which was kept; the setting applies to every route to the "
                              "Service, so it cannot differ per Ingress")
                    self.report.add(Code.POLICY_CONFLICT, location=rule.origin.location,
                                    obj=ObjectRef("Ingress", rule.origin.namespace, rule.origin.name), detail=detail)
                    self._take_back(piece, rule, detail)
                    continue
                spec = trial
                if rule.origin.key not in sources:
                    sources.append(rule.origin.key)
            target = {"group": "", "kind": "Service", "name": svc}
            out.append(self.policy_object(kind, api, fit(f"{svc}--{key}" if key else svc), ns, target, spec,
                                          sources))
        return out

    def _take_back(self, piece: Piece, rule: RuleDraft, reason: str) -> None:
        for intent in self.producers(rule, piece):
            self.take_back(intent, reason)

    def gateway_policies(self) -> list[dict]:
        out = []
        for (gw_ns, gw_name, api, kind, key), entries in sorted(self.gateway_pieces.items()):
            spec: dict = {}
            sources: list[str] = []
            for piece, rule in sorted(entries, key=lambda e: (e[1].created == "", e[1].created, e[1].origin.key)):
                if rule.origin.key not in sources:
                    sources.append(rule.origin.key)
                merge(spec, piece.fragment)
            if kind == "SnippetsPolicy":
                seen: set = set()
                spec["snippets"] = [s for s in spec["snippets"] if not (s["context"] in seen or seen.add(s["context"]))]
            target = {"group": GROUP, "kind": "Gateway", "name": gw_name}
            out.append(self.policy_object(kind, api, fit(f"{gw_name}--{key}" if key else gw_name), gw_ns, target,
                                          spec, sources))
        return out

    def emit(self, plans):
        objects = super().emit(plans)
        for (ns, kind, name), (spec, sources) in sorted(self._filters.items()):
            objects.append({"apiVersion": V1A1, "kind": kind, "metadata": _meta(name, ns, sorted(sources)),
                            "spec": spec})
        objects.sort(key=sort_key)
        return objects
