"""Traefik emitter (``--emitter traefik``): Gateway API for Traefik's Kubernetes Gateway provider, with
Traefik Middlewares attached to HTTPRoute rules through ``ExtensionRef`` filters
(https://doc.traefik.io/traefik/v3.7/reference/routing-configuration/kubernetes/gateway-api/).

What a rule gets, besides the standard filters:

- **Kept**: every Traefik Middleware the rule ran (``router.middlewares``, ``service.middlewares``, chains
  expanded) is attached as it is, in chain order, instead of its Gateway API translation. The user stays
  on Traefik, so the objects keep their exact semantics (character-prefix stripping, X-Forwarded-Prefix,
  method-dependent redirect codes, forwardAuth headers, digestAuth, plugins...). The provider records
  them on ``rule.unmapped`` (``MiddlewareUse``: origin, API group, spec). An ExtensionRef names a
  Middleware of the route's own namespace; one from another namespace, or from the legacy
  ``traefik.containo.us`` group that Traefik v3 no longer reads, is copied into the route's namespace.
- **Generated**: the policy intents of other sources (ingress-nginx rate limits, IP lists, basic and
  external auth, body size, regex rewrites...) become new Middlewares (``middlewares``), and so
  do the standard features Traefik's Gateway provider does not implement (ExternalAuth → forwardAuth,
  retry → retry Middleware) or the targeted Gateway API version lacks (CORS → headers Middleware).
- Several Middlewares on one rule are bundled into a generated ``chain``: Gateway API leaves the order
  of a rule's filters unspecified (and some Traefik releases applied them in map order,
  traefik/traefik#11197), while a chain always runs in order. The one ExtensionRef goes after the
  redirect and CORS filters (NGINX answered those before access control) and before the rewrite and
  header filters (auth services saw the original request).

Outcomes: a kept Middleware is answered as kept (``Ledger.keep``): its translations and whatever the
provider would otherwise have said of it (kinds without a translation, its own losses: the provider
defers those as standing findings) give way to ``annotation.policy-emitted``, since Traefik runs the
Middleware as before. RequestMirror is refused: Traefik's Gateway provider rejects routes with that
filter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ingress2gw.emitters.traefik import middlewares as tm
from ingress2gw.emitters.implementation import ImplementationEmitter, Piece, RulePolicies
from ingress2gw.emitters.naming import fit, short_hash
from ingress2gw.emitters.render import needs, render_rule_intents
from ingress2gw.emitters.standard import _meta, sort_key
from ingress2gw.model.ir import CORS, ExternalAuth, Intent, Origin, PolicyIntent, RequestMirror, Retry, RuleDraft
from ingress2gw.model.outcome import exact, policy, unsupported

API_VERSION = "traefik.io/v1alpha1"
GROUP = "traefik.io"
_MIRROR = ("Traefik's Gateway provider does not implement the RequestMirror filter (it rejects the route); mirror "
           "with a TraefikService (mirroring) as the rule's backend")


def middleware_uses(rule: RuleDraft) -> list:
    """The Traefik Middlewares a rule ran, in order (the provider's ``MiddlewareUse`` records)."""
    return [u for u in rule.unmapped
            if u.origin.kind == "Middleware" and hasattr(u, "api_version") and hasattr(u, "spec")]


@dataclass
class RulePlan(RulePolicies):
    refs: list[str] = field(default_factory=list)  # Middleware names, in order
    standard: list[Intent] = field(default_factory=list)  # left to the Gateway API renderer


class TraefikEmitter(ImplementationEmitter):
    name = "traefik"
    #: Traefik's Gateway provider serves TCPRoute (with its experimentalChannel option), not UDPRoute (docs/streams.md).
    stream_kinds = ("TCPRoute",)
    gateway_class_name = "traefik"
    implementation_version = "v3.7.9"
    crd_bundle = "traefik/v3.7.9"
    #: traefik.containo.us: the legacy group of Middlewares Traefik v2 read; hub.traefik.io: Traefik Hub's.
    api_groups = {GROUP: "traefik", "traefik.containo.us": "traefik", "hub.traefik.io": "traefik"}
    skip_verify_advice = ("; Traefik's Gateway provider skips verification only through a ServersTransport "
                          "(insecureSkipVerify) of a TraefikService backend (kubernetescrd provider) in place of "
                          "the Service, which this emitter does not write")

    def __init__(self, opts, report):
        super().__init__(opts, report)
        self._plans: dict[int, RulePlan] = {}
        #: (namespace, name) -> {"json", "spec", "sources"} of the Middlewares this run writes.
        self._objects: dict[tuple[str, str], dict] = {}
        self._by_content: dict[tuple[str, str, str], str] = {}
        #: Middlewares of the input attached by name: their names are never given to a generated object.
        self._existing: set[tuple[str, str]] = set()

    # -- policies --------------------------------------------------------------------------------------
    # Not the declarative dispatch of the base: the Middleware renderers (``middlewares.render``) return a
    # Middleware spec for a slot, and ``_plan`` merges the specs of one rule per slot into a chain, next to
    # the Middlewares the input already ran.
    def render_policy(self, intent: Intent, rule: RuleDraft) -> list[Piece] | str:
        result = tm.render(intent, rule)
        if isinstance(result, (str, list)):
            return result
        return [Piece.of(API_VERSION, "Middleware", "route", result.spec, key=result.slot)]

    def split_by_policy(self, drafts):
        # Middlewares attach per rule (ExtensionRef filters), so rules never need separate routes.
        return [("", drafts, [])]

    def pieces_for(self, rule: RuleDraft) -> "RulePlan":
        plan = self._plans.get(id(rule))
        if plan is None:
            plan = self._plans[id(rule)] = self._plan(rule)
        return plan

    def _plan(self, rule: RuleDraft) -> RulePlan:
        plan = RulePlan()
        ns = rule.origin.namespace
        kept: dict[Origin, str] = {}
        for use in middleware_uses(rule):
            name, how = self._keep(use, ns, rule.origin.key)
            plan.refs.append(name)
            kept.setdefault(use.origin, how)
        # A kept Middleware runs as before: whatever was said of it while it was read (its translations,
        # their Gateway API caveats, kinds without a translation) gives way to the Middleware itself.
        for origin, how in kept.items():
            self.ledger.keep(origin, how)
        held = [intent for intent in rule.intents if intent.origin in kept]
        plan.answers += [(intent, policy(kept[intent.origin])) for intent in held]

        ext_auth = {i.origin for i in rule.intents if isinstance(i, PolicyIntent) and i.family == "ext-auth"}
        slots: dict[str, tuple[dict, list[tuple[Intent, list[str]]]]] = {}
        for intent in rule.intents:
            if any(intent is h for h in held):
                continue
            if isinstance(intent, RequestMirror):
                plan.answers.append((intent, unsupported(_MIRROR)))
                continue
            if isinstance(intent, CORS) and needs(self.t, "1.5", "1.3") is None:
                plan.standard.append(intent)  # the CORS filter, where the target has it
                continue
            if not isinstance(intent, (PolicyIntent, ExternalAuth, Retry, CORS)):
                plan.standard.append(intent)
                continue
            if isinstance(intent, (ExternalAuth, Retry, CORS)) and intent.caveat:
                # Their caveats describe the Gateway API filter; the Middleware's own caveats replace them.
                self.ledger.void_caveat(intent)
            if isinstance(intent, ExternalAuth) and intent.origin in ext_auth:
                plan.answers.append((intent, exact()))  # the ext-auth policy of the same annotation carries it
                continue
            result = tm.render(intent, rule)
            if isinstance(result, str):
                plan.answers.append((intent, unsupported(result)))
                continue
            if isinstance(result, list):
                plan.answers.append((intent, exact()))  # Traefik behaves the same without a Middleware
                continue
            spec, intents = slots.setdefault(result.slot, ({}, []))
            _merge(spec, result.spec)
            intents.append((intent, result.caveats))
            if result.voids:
                self.ledger.void_caveat(intent)

        for slot in tm.SLOTS:
            if slot not in slots:
                continue
            spec, intents = slots[slot]
            name = self._register(ns, fit(f"{rule.origin.name}--{slot}", 63), spec, rule.origin.key)
            plan.refs.append(name)
            plan.pieces.append(Piece.of(API_VERSION, "Middleware", "route", spec, key=slot))
            label = f"Middleware {name} ({next(iter(spec))})"
            for intent, caveats in intents:
                plan.answers.append((intent, policy(label)))
                for c in caveats:
                    self.caveat(intent, *((c,) if isinstance(c, str) else c))
        if len(plan.refs) > 1:
            chain = {"chain": {"middlewares": [{"name": n} for n in plan.refs]}}
            plan.refs = [self._register(ns, fit(f"{rule.origin.name}--middlewares", 63), chain, rule.origin.key)]
        return plan

    def _keep(self, use, ns: str, source: str) -> tuple[str, str]:
        """The name a rule in ``ns`` attaches for a Middleware of the input, and how it got there."""
        src = f"{use.origin.namespace}/{use.origin.name}"
        if use.api_version.split("/")[0] == GROUP and use.origin.namespace == ns:
            self._existing.add((ns, use.origin.name))
            return use.origin.name, f"Middleware {src} (kept, ExtensionRef)"
        spec = json.loads(use.spec)
        if use.origin.namespace == ns:
            base, why = use.origin.name, "Traefik v3 no longer reads the traefik.containo.us group"
        else:
            base = fit(f"{use.origin.namespace}-{use.origin.name}", 63)
            why = f"an ExtensionRef names a Middleware of the route's namespace {ns}"
        name = self._register(ns, base, spec, f"Middleware {src}", source)
        how = f"Middleware {ns}/{name} (a traefik.io copy of {src}: {why})"
        local = _local_refs(use.kind, spec.get(use.kind) or {})
        if local and use.origin.namespace != ns:
            how += f"; {', '.join(local)} must also exist in {ns}"
        return name, how

    def _register(self, ns: str, base: str, spec: dict, *sources: str) -> str:
        """A generated Middleware's name: equal specs share one object, different specs never share a name."""
        text = json.dumps(spec, sort_keys=True)
        key = (ns, base, text)
        name = self._by_content.get(key)
        if name is None:
            name = base
            taken = self._objects.get((ns, name))
            if (taken is not None and taken["json"] != text) or (ns, name) in self._existing:
                name = fit(f"{base}-{short_hash(text)}", 63)
            self._by_content[key] = name
            self._objects.setdefault((ns, name), {"json": text, "spec": spec, "sources": set()})
        self._objects[(ns, name)]["sources"].update(sources)
        return name

    # -- rules -----------------------------------------------------------------------------------------
    def render_rule(self, rule: RuleDraft):
        plan = self._plans.get(id(rule)) or self._plans.setdefault(id(rule), self._plan(rule))
        return render_rule_intents(plan.standard, self.t, rule.match.path.type)

    def rule_filters(self, rule: RuleDraft, rendered) -> list[dict]:
        """The rule's Middleware chain as one ExtensionRef filter, after redirects and CORS (which answer
        before any middleware runs) and before rewrites and header filters."""
        plan = self._plans[id(rule)]
        filters = list(rendered.filters)
        if plan.refs:
            first = [f for f in filters if f["type"] in ("RequestRedirect", "CORS")]
            filters = first + [{"type": "ExtensionRef", "extensionRef": {
                "group": GROUP, "kind": "Middleware", "name": plan.refs[0]}}] + [
                f for f in filters if f not in first]
        return filters

    # -- objects ---------------------------------------------------------------------------------------
    def emit(self, plans):
        for gp in plans:  # names of the input's Middlewares first: a generated object never takes one
            for hp in gp.hosts.values():
                for r in hp.http_rules + hp.https_rules:
                    for use in middleware_uses(r):
                        if use.api_version.split("/")[0] == GROUP and use.origin.namespace == r.origin.namespace:
                            self._existing.add((use.origin.namespace, use.origin.name))
        objects = super().emit(plans)
        for (ns, name), obj in sorted(self._objects.items()):
            objects.append({"apiVersion": API_VERSION, "kind": "Middleware",
                            "metadata": _meta(name, ns, sorted(obj["sources"])), "spec": obj["spec"]})
        objects.sort(key=sort_key)
        return objects


def _local_refs(kind: str, body: dict) -> list[str]:
    """The Secrets and Services a Middleware reads from its own namespace (a copy needs them too)."""
    out = []
    if kind in ("basicAuth", "digestAuth") and body.get("secret"):
        out.append(f"Secret {body['secret']}")
    if kind == "errors" and isinstance(body.get("service"), dict) and not body["service"].get("namespace"):
        out.append(f"Service {body['service'].get('name')}")
    for holder in (body.get("tls"), (body.get("redis") or {}), (body.get("redis") or {}).get("tls")):
        if isinstance(holder, dict):
            out += [f"Secret {holder[k]}" for k in ("caSecret", "certSecret", "secret") if holder.get(k)]
    return out


def _merge(into: dict, extra: dict) -> None:
    """Merge Middleware fragments of one slot; a later value wins (the later annotation refines)."""
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v
