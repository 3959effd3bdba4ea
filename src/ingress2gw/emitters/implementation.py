"""Base of the implementation emitters (kgateway, Envoy Gateway, NGINX Gateway Fabric, Istio, Traefik).

They emit everything the standard emitter does, plus the implementation's own policy objects for the
intents Gateway API cannot hold (or cannot hold in the targeted version/channel). A subclass declares what
it renders: ``families`` (policy family -> renderer), ``intents`` (Gateway API intent type -> renderer, for
what the Gateway API rendering left out) and ``refused`` (family or intent type -> the reason it is not
held); ``render_policy`` here dispatches an intent through those tables. A renderer is called as
``renderer(emitter, intent, rule)`` and returns ``Piece``s or the reason there are none. This class then
decides where each piece attaches, at the narrowest scope that is exact:

- ``route``: the piece came from one Ingress's annotation (or Middleware) and applies to its rules.
  Rules with different route pieces never share an HTTPRoute (``split_by_policy``), so a policy that
  targets the route covers exactly the rules whose source asked for it.
- ``service``: the setting belongs to the backend Service (load balancing, backend TLS, circuit
  breaking). Two Ingresses that set it differently for the same Service are reported, never merged.
- ``gateway``: the setting was global in the source (client certificates of a host, access logs).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Iterable

from ingress2gw.emitters.naming import fit
from ingress2gw.emitters.render import needs, render_rule_intents
from ingress2gw.emitters.standard import GROUP, SOURCE_ANNOTATION, StandardEmitter, _meta
from ingress2gw.model.ir import BackendTLS, IdleTimeout, Intent, PolicyIntent, RuleDraft
from ingress2gw.model.outcome import Difference, Dimension, Outcome, exact, policy, unsupported
from ingress2gw.report import Code, ObjectRef


@dataclass(frozen=True)
class Piece:
    """A fragment of one policy object's ``spec``."""

    api_version: str
    kind: str
    scope: str  # route | service | gateway
    spec: str  # JSON of the fragment (hashable, deterministic)
    #: Name suffix for objects of this kind that must stay separate (rarely needed).
    key: str = ""

    @classmethod
    def of(cls, api_version: str, kind: str, scope: str, spec: dict, key: str = "") -> "Piece":
        return cls(api_version, kind, scope, json.dumps(spec, sort_keys=True), key)

    @property
    def fragment(self) -> dict:
        return json.loads(self.spec)


def deep_merge(base: dict, extra: dict, atomic: frozenset[str] = frozenset()) -> list[str]:
    """Merge ``extra`` into ``base``; returns the dotted keys whose values disagreed (base kept).

    Mappings under a key in ``atomic`` are compared whole, never merged field by field: a policy field
    whose sub-fields are mutually exclusive (one of ``insecureSkipVerify`` / ``secretRef``, one load-balancer
    type) must come from one source, or the merged object would break the CRD's one-of rules.
    """
    clashes = []
    for k, v in extra.items():
        if k not in base:
            base[k] = v
        elif isinstance(base[k], dict) and isinstance(v, dict) and k not in atomic:
            clashes += [f"{k}.{c}" for c in deep_merge(base[k], v, atomic)]
        elif base[k] != v:
            clashes.append(k)
    return clashes


class Refusals:
    """Why single intents of a rule are refused, found while rendering the rule's settings together (kept by the
    intents themselves, never by their ids)."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[Intent, str]] = []

    def add(self, intent: Intent, reason: str) -> None:
        self._items.append((intent, reason))

    def reason(self, intent: Intent) -> str | None:
        return next((r for i, r in self._items if i is intent), None)


@dataclass
class RulePolicies:
    pieces: list[Piece] = field(default_factory=list)
    #: (intent, outcome) for every intent the Gateway API rendering left out.
    answers: list[tuple[Intent, Outcome]] = field(default_factory=list)
    #: (piece, intent that produced it).
    producers: list[tuple[Piece, Intent]] = field(default_factory=list)


#: A renderer of the declarations: ``(emitter, intent, rule)`` -> pieces, or the reason there are none.
Renderer = Callable[["ImplementationEmitter", Intent, RuleDraft], "list[Piece] | str"]


def _refusal(intent: Intent, standard: Outcome, reason: str) -> Outcome:
    """Neither Gateway API nor the implementation holds the intent. A policy family is the
    implementation's to hold: its refusal is the reason. Any other intent keeps the Gateway API refusal
    (a version or channel that has it), with the implementation's reason beside it; one Gateway API holds
    in part (``IdleTimeout``) keeps that rendering and its difference, the reason added to it."""
    if not standard.refused and not isinstance(intent, PolicyIntent):
        return standard.with_differences(*((Difference(reason),) if reason else ()))
    if isinstance(intent, PolicyIntent) or not standard.reasons:
        return unsupported(reason)
    reasons = standard.reasons + ((reason,) if reason and not any(reason in r for r in standard.reasons) else ())
    return Outcome(standard.verdict, reasons=reasons)


def unwritten_idle_timeout(implementation: str, idle: str | None, listener_idle: str, read: str) -> str:
    """The caveat of a read timeout left to the defaults of an Envoy-based implementation: Envoy's route timeout
    and the stream idle timeout (``idle`` where the rule has one, else the listener's, ``listener_idle``) apply."""
    return (f"not written (--controller-defaults report): {implementation}'s defaults apply, so Envoy's route "
            "timeout of 15s ends every response that takes longer in total (the source had no bound on the whole "
            "response), and a silent backend is cut after "
            + (f"{idle} (proxy-send-timeout's stream idle timeout)" if idle else
               f"the listener's stream idle timeout ({listener_idle})")
            + f" where the source gave up after {read}")


def secret_in_namespace(secret: object, namespace: str, missing: str, elsewhere: str) -> tuple[str | None, str]:
    """The name of a Secret reference (``[namespace/]name``) that an object of ``namespace`` reads from its own
    namespace, or None and why it cannot: ``missing`` when the reference names no Secret, ``elsewhere`` (formatted
    with ``namespace`` and ``ref``, the reference) when the Secret is in another namespace."""
    ns, _, name = str(secret).rpartition("/")
    if not name:
        return None, missing
    if ns and ns != namespace:
        return None, elsewhere.format(namespace=namespace, ref=f"{ns}/{name}")
    return name, ""


def stream_idle_timeout(em: "ImplementationEmitter", intent: IdleTimeout, idle: str | None, piece: Piece, *,
                        implementation: str, field: str, listener_idle: str,
                        key: Callable[[str], object] = lambda v: v) -> list[Piece]:
    """The read timeout as the stream idle timeout of an Envoy-based implementation: the longest the stream may go
    without data, before the response and between two reads of it, as nginx timed it. ``idle`` is the rule's one
    stream idle timeout (the longer of its read and send timeouts, compared by ``key``), which ``piece`` writes in
    ``field``; a read timeout left to the defaults writes nothing (see ``unwritten_idle_timeout``)."""
    if not intent.written:
        em.caveat(intent, unwritten_idle_timeout(implementation, idle, listener_idle, intent.read), Dimension.TIMEOUT)
        return []
    if key(idle) != key(intent.read):
        em.caveat(intent, f"{field} is the send timeout ({idle}), the longer one (Envoy has one idle timeout for "
                          f"both directions): a backend silent for between {intent.read} and {idle} is no longer "
                          "cut off", Dimension.TIMEOUT)
    return [piece]


class ImplementationEmitter(StandardEmitter):
    name = ""
    #: Default gatewayClassName of the implementation's installation.
    gateway_class_name = ""
    #: The implementation release whose CRDs the emitter targets (docs, tests).
    implementation_version = ""
    #: Folder of those CRDs in the shared bundle layout (``kgateway/v2.4.3``): tests validate against it.
    crd_bundle = ""
    #: apiVersion of the implementation's own objects, for the pieces made with ``piece``.
    policy_api = ""
    #: Policy fields merged whole, never field by field (see ``deep_merge``).
    atomic_fields: frozenset[str] = frozenset()
    #: API groups of the implementation's objects -> the project folder of their CRDs (``crds import``).
    api_groups: ClassVar[dict[str, str]] = {}
    #: Policy family -> its renderer.
    families: ClassVar[dict[str, "Renderer"]] = {}
    #: Gateway API intent type -> its renderer, for the intents the Gateway API rendering left out.
    intents: ClassVar[dict[type, "Renderer"]] = {}
    #: Family name or intent type -> why the implementation does not hold it.
    refused: ClassVar[dict[str | type, str]] = {}
    #: The reason for a family (an intent type) in none of the tables; ``{name}``, ``{version}``, ``{what}``.
    unknown_family = "{name} has no policy for {what}"
    unknown_intent = "{name} has no policy for {what}"

    def __init__(self, opts, report):
        super().__init__(opts, report)
        #: Per rule (render cache, keyed by the rule object): its policy pieces, the answer for each intent
        #: the Gateway API rendering left out, and which intents produced each piece.
        self._pieces: dict[int, RulePolicies] = {}
        self.service_pieces: dict[tuple, list[tuple[Piece, RuleDraft]]] = {}
        self.gateway_pieces: dict[tuple, list[tuple[Piece, RuleDraft]]] = {}
        self._gateway: tuple[str, str] | None = None
        self._native: dict[int, tuple[RuleDraft, object]] = {}

    # -- dispatch from the declarations ---------------------------------------------------------------
    def render_policy(self, intent: Intent, rule: RuleDraft) -> list[Piece] | str:
        """Pieces for an intent the standard rendering left out, or the reason there are none.

        ``[]`` is an intent the implementation holds without an object (its default already behaves so).
        What the pieces do differently is said with ``caveat``; objects written besides the pieces with
        ``also``."""
        if isinstance(intent, PolicyIntent):
            fn = self.families.get(intent.family)
            if fn is None:
                return self.refused.get(intent.family) or self._unknown(self.unknown_family, intent.family)
            return fn(self, intent, rule)
        if not self.left(intent, rule):
            return []  # the route already holds it (gRPC rules offer every intent)
        fn = self.intents.get(type(intent))
        if fn is None:
            return self.refused.get(type(intent)) or self._unknown(self.unknown_intent, type(intent).__name__)
        return fn(self, intent, rule)

    def _unknown(self, template: str, what: str) -> str:
        return template.format(name=self.name, version=self.implementation_version, what=what)

    # -- what the family renderers use -------------------------------------------------------------------
    def piece(self, kind: str, scope: str, spec: dict, key: str = "") -> Piece:
        """A piece of one of the implementation's own objects (``policy_api``)."""
        return Piece.of(self.policy_api, kind, scope, spec, key)

    def native(self, rule: RuleDraft):
        """What the route itself renders for the rule (``render_rule``; cached per rule object)."""
        cached = self._native.get(id(rule))
        if cached is None or cached[0] is not rule:
            cached = self._native[id(rule)] = (rule, self.render_rule(rule))
        return cached[1]

    # -- what subclasses may override -------------------------------------------------------------------
    def left(self, intent: Intent, rule: RuleDraft) -> bool:
        """Whether the route leaves ``intent`` to the policies. ``pieces_for`` offers only what the Gateway
        API rendering left out, except on gRPC rules (every intent): an emitter that knows what its route
        holds there says so here."""
        return True

    def policy_object(self, piece_kind: str, api_version: str, name: str, namespace: str, target: dict,
                      spec: dict, sources: list[str]) -> dict:
        """One policy object; most implementations attach with ``spec.targetRefs``."""
        return {"apiVersion": api_version, "kind": piece_kind, "metadata": _meta(name, namespace, sources),
                "spec": {"targetRefs": [target], **spec}}

    def own_object(self, kind: str, name: str, namespace: str, spec: dict, sources: list[str]) -> dict:
        """One of the implementation's own objects (``policy_api``) that is not attached by targetRefs (a route
        filter, a Backend, a GatewayExtension)."""
        return {"apiVersion": self.policy_api, "kind": kind, "metadata": _meta(name, namespace, sources),
                "spec": json.loads(json.dumps(spec))}

    def reference_grants(self, objects: list[dict], references: Callable[[str, dict], Iterable[tuple[str, dict]]],
                         readers: str) -> list[dict]:
        """A ReferenceGrant for every core object (Secret, Service) one of the implementation's own objects
        (``policy_api``) reads in another namespace. ``references(kind, spec)`` yields (kind of the core object,
        reference) for what an object points at; ``readers`` names the objects in the grant's source annotation."""
        group = self.policy_api.partition("/")[0]
        wanted: dict[tuple[str, str, str], set[tuple[str, str]]] = {}
        for obj in objects:
            if obj.get("apiVersion") != self.policy_api:
                continue
            ns = obj["metadata"]["namespace"]
            for to_kind, ref in references(obj["kind"], obj["spec"]):
                if ref.get("namespace", ns) != ns:
                    wanted.setdefault((ref["namespace"], to_kind, ref["name"]), set()).add((obj["kind"], ns))
        out = []
        for (to_ns, to_kind, to_name), sources in sorted(wanted.items()):
            out.append({
                "apiVersion": f"{GROUP}/{self.t.reference_grant_version}", "kind": "ReferenceGrant",
                "metadata": {**_meta(fit(f"{self.name}-{to_kind.lower()}-{to_name}"), to_ns, []),
                             "annotations": {SOURCE_ANNOTATION: f"{readers} reading {to_kind} {to_ns}/{to_name}"}},
                "spec": {"from": [{"group": group, "kind": k, "namespace": n} for k, n in sorted(sources)],
                         "to": [{"group": "", "kind": to_kind, "name": to_name}]},
            })
        return out

    # -- answers the renderers give besides their pieces --------------------------------------------------
    def caveat(self, intent: Intent, text: str, *changes: Dimension) -> None:
        """What the implementation's rendering of ``intent`` does differently (the finding becomes lossy)."""
        for part in (p for p in text.split("; ") if p):
            self.ledger.record(intent, policy(differences=(Difference(part, frozenset(changes)),)))

    def also(self, intent: Intent, kind: str) -> None:
        """The intent also became an object that is not a policy piece (GatewayExtension, Backend)."""
        self.ledger.record(intent, policy(kind))

    def refuse_field(self, intent: Intent, name: str, reason: str) -> None:
        """One field of the intent is not held (``reason``), whatever happens to the rest: the annotation
        that set it (``Intent.field_origins``) gets this answer."""
        self.ledger.record(intent, policy(fields={name: unsupported(reason)}))

    def take_back(self, intent: Intent, reason: str) -> None:
        """A piece of the intent was not written after all (it lost a merge): the setting is not held."""
        self.ledger.record(intent, unsupported(reason))

    # -- mechanics ---------------------------------------------------------------------------------------
    def render_rule(self, rule: RuleDraft):
        """The Gateway API rendering of the intents the implementation does not render itself (``withheld``)."""
        return render_rule_intents([i for i in rule.intents if not self.withheld(i, rule)], self.t,
                                   rule.match.path.type)

    def pieces_for(self, rule: RuleDraft) -> "RulePolicies":
        cached = self._pieces.get(id(rule))
        if cached is None:
            mine = [(i, unsupported("")) for i in rule.intents if self.withheld(i, rule)]
            if rule.protocol == "grpc":
                # A GRPCRoute has none of the filters policies stand for; TLS to the backend is a BackendTLSPolicy
                # on the Service whatever the route kind (where the target has it).
                native_tls = needs(self.t, "1.4", "1.2") is None
                left = [(i, unsupported("")) for i in rule.intents if not self.withheld(i, rule)
                        and not (native_tls and isinstance(i, BackendTLS))] + mine
            else:
                left = self.render_rule(rule).left + mine
            cached = self._pieces[id(rule)] = RulePolicies()
            for intent, refusal in left:
                result = self.render_policy(intent, rule)
                if isinstance(result, str):
                    cached.answers.append((intent, _refusal(intent, refusal, result)))
                    continue
                for p in result:
                    cached.producers.append((p, intent))
                cached.pieces += result
                cached.answers.append((intent, policy(*(p.kind for p in result)) if result else exact()))
        return cached

    def producers(self, rule: RuleDraft, piece: Piece) -> list[Intent]:
        """The intents of ``rule`` that produced ``piece``."""
        return [i for p, i in self.pieces_for(rule).producers if p == piece]

    def handled_elsewhere(self, rule: RuleDraft, intent) -> bool:
        return any(i is intent for i, _ in self.pieces_for(rule).answers)

    def track(self, rule: RuleDraft, rendered) -> None:
        super().track(rule, rendered)
        self.track_policies(rule)

    def track_policies(self, rule: RuleDraft, only=None) -> None:
        """Record the policy answers of an emitted rule and file its Service and Gateway pieces (``only``: of
        the intents for which ``only(intent, rule)`` holds)."""
        held = self.pieces_for(rule)
        for intent, outcome in held.answers:
            if only is None or only(intent, rule):
                self.ledger.record(intent, outcome)
        for p in held.pieces:
            if only is not None and not any(only(i, rule) for i in self.producers(rule, p)):
                continue
            if p.scope == "service":
                for b in rule.backends:
                    self.service_pieces.setdefault((b.namespace, b.name, p.api_version, p.kind, p.key), []).append(
                        (p, rule))
            elif p.scope == "gateway" and self._gateway is not None:
                self.gateway_pieces.setdefault((*self._gateway, p.api_version, p.kind, p.key), []).append((p, rule))

    def grpc_policy_holds(self, rule: RuleDraft, intent) -> bool:
        return self.withheld(intent, rule)

    def emit_grpc(self, out, ns, base, host, sections, drafts, *args, **kw) -> None:
        """gRPC rules: what the implementation renders itself instead of Gateway API (``withheld``) is answered
        and filed here (an emitter whose route policies attach to GRPCRoutes files the rest too)."""
        super().emit_grpc(out, ns, base, host, sections, drafts, *args, **kw)
        for r in drafts:
            self.track_policies(r, only=self.withheld)

    def split_by_policy(self, drafts: list[RuleDraft]) -> list[tuple[str, list[RuleDraft], list]]:
        groups: dict[tuple, list[RuleDraft]] = {}
        for r in drafts:
            route_pieces = tuple(sorted({p for p in self.pieces_for(r).pieces if p.scope == "route"},
                                        key=lambda p: (p.kind, p.spec)))
            groups.setdefault(route_pieces, []).append(r)
        out = []
        for sig, rules in sorted(groups.items(), key=lambda kv: (len(kv[0]), repr(kv[0]))):
            suffix = "" if not sig else "--p" + hashlib.sha256(repr(sig).encode()).hexdigest()[:6]
            out.append((suffix, rules, list(sig)))
        return out

    def emit_gateway(self, gp):
        self._gateway = self.gateway_ref(gp)
        return super().emit_gateway(gp)

    def attach_route_policies(self, out: list[dict], ns: str, route_names: list[str], pieces: list,
                              sources: list[str]) -> None:
        by_kind: dict[tuple, dict] = {}
        for p in pieces:
            spec = by_kind.setdefault((p.api_version, p.kind, p.key), {})
            deep_merge(spec, p.fragment, self.atomic_fields)
        for name in route_names:
            for (api, kind, key), spec in sorted(by_kind.items()):
                target = {"group": GROUP, "kind": "HTTPRoute", "name": name}
                obj_name = fit(f"{name}--{key}" if key else name)
                out.append(self.policy_object(kind, api, obj_name, ns, target, json.loads(json.dumps(spec)),
                                              list(sources)))

    def emit(self, plans):
        objects = super().emit(plans)
        objects += self.service_policies() + self.gateway_policies()
        from ingress2gw.emitters.standard import sort_key

        objects.sort(key=sort_key)
        return objects

    def _merged(self, entries: list[tuple[Piece, RuleDraft]], what: str) -> tuple[dict, list[str]]:
        """Merge the fragments for one target; fragments that disagree are reported, the oldest kept."""
        entries = sorted(entries, key=lambda e: (e[1].created == "", e[1].created, e[1].origin.key))
        spec: dict = {}
        sources: list[str] = []
        first_of: dict[str, str] = {}
        for piece, rule in entries:
            if rule.origin.key not in sources:
                sources.append(rule.origin.key)
            clashes = deep_merge(spec, piece.fragment, self.atomic_fields)
            for c in clashes:
                self.report.add(Code.POLICY_CONFLICT, location=rule.origin.location,
                                obj=ObjectRef("Ingress", rule.origin.namespace, rule.origin.name),
                                detail=f"{piece.kind} for {what}: {c} differs from the value set by Ingress "
                                       f"{first_of.get(c, sources[0])}, which was kept; the setting applies to "
                                       "every route of the target, so it cannot differ per Ingress")
            for k in piece.fragment:
                first_of.setdefault(k, rule.origin.key)
        return spec, sources

    def service_policies(self) -> list[dict]:
        out = []
        for (ns, svc, api, kind, key), entries in sorted(self.service_pieces.items()):
            spec, sources = self._merged(entries, f"Service {ns}/{svc}")
            target = {"group": "", "kind": "Service", "name": svc}
            out.append(self.policy_object(kind, api, fit(f"{svc}--{key}" if key else svc), ns, target, spec,
                                          sources))
        return out

    def gateway_policies(self) -> list[dict]:
        out = []
        for (gw_ns, gw_name, api, kind, key), entries in sorted(self.gateway_pieces.items()):
            spec, sources = self._merged(entries, f"Gateway {gw_ns}/{gw_name}")
            target = {"group": GROUP, "kind": "Gateway", "name": gw_name}
            out.append(self.policy_object(kind, api, fit(f"{gw_name}--{key}" if key else gw_name), gw_ns, target,
                                          spec, sources))
        return out

    def listener_gateway_policies(self, holders: Callable[[str, str], list[str]],
                                  listener: Callable[[str, str, str], tuple[str, str]],
                                  atomic: frozenset[str] = frozenset()) -> list[dict]:
        """``gateway_policies`` of an implementation that applies only the most specific policy of a listener. The
        Gateway-wide pieces (key "") become one policy on the Gateways ``holders(namespace, name)`` names; the
        pieces of a listener (any other key) one policy on the listener ``listener(namespace, name, key)`` names,
        as (Gateway, sectionName), that repeats the Gateway-wide fields (merged in with ``atomic`` fields whole)."""
        out = []
        targets: dict[tuple, dict[str, list]] = {}
        for (gw_ns, gw_name, api, kind, key), entries in self.gateway_pieces.items():
            targets.setdefault((gw_ns, gw_name, api, kind), {})[key] = entries
        for (gw_ns, gw_name, api, kind), by_key in sorted(targets.items()):
            wide_spec, wide_sources = {}, []
            if "" in by_key:
                wide_spec, wide_sources = self._merged(by_key[""], f"Gateway {gw_ns}/{gw_name}")
                first, *more = holders(gw_ns, gw_name)
                obj = self.policy_object(kind, api, gw_name, gw_ns, {"group": GROUP, "kind": "Gateway", "name": first},
                                         wide_spec, wide_sources)
                obj["spec"]["targetRefs"] += [{"group": GROUP, "kind": "Gateway", "name": h} for h in more]
                out.append(obj)
            for key, entries in sorted(by_key.items()):
                if not key:
                    continue
                holder, section = listener(gw_ns, gw_name, key)
                spec, sources = self._merged(entries, f"listener {section} of Gateway {gw_ns}/{holder}")
                deep_merge(spec, json.loads(json.dumps(wide_spec)), atomic)
                target = {"group": GROUP, "kind": "Gateway", "name": holder, "sectionName": section}
                out.append(self.policy_object(kind, api, fit(f"{holder}--{section}"), gw_ns, target, spec,
                                              sources + [s for s in wide_sources if s not in sources]))
        return out


