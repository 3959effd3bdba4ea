"""Outcomes: what an emitter did with each intent it was given, as a value.

The emitter that renders (or refuses) an intent answers with an ``Outcome``; the ``Ledger`` keeps those
answers as ``Decision``s, in the order they were given, and ``ingress2gw.report.derive`` turns them into
findings with one pure function. Nothing else decides a verdict:

- ``exact()``: every request behaves as under the source controller;
- ``lossy(detail, *changes)``: rendered, and ``detail`` says which requests change and how;
  ``changes`` names the request dimensions touched (what ``verify`` may explain with it);
- ``policy(*kinds, differences=...)``: rendered as the implementation's own objects (``kinds``);
  with differences it is lossy too;
- ``needs_version(reason)``: the targeted Gateway API version or channel lacks the field;
- ``needs_policy(reason)``: only an implementation policy can hold it (the standard emitter);
- ``unsupported(reason)``: the target cannot hold it at all.

An intent rendered on several rules gets one decision per rule; an emitter that learns more later (a
policy fragment lost a merge, a setting moved to another object) adds a decision, it never edits one.
Decisions combine by the worst verdict, and differences accumulate (``combine``).

``fields`` answers for single settings of an intent that came from other annotations (``auth-signin``
read into the ext-auth policy of ``auth-url``): the intent's ``field_origins`` say which annotation set
which field, and a field the emitter does not answer for shares the intent's outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Dimension(str, Enum):
    """A part of how a request is handled, which a difference may change."""

    ROUTE = "route"  # which rule answers, or whether one does
    BACKEND = "backend"  # the backend Service or its port
    WEIGHT = "weight"  # traffic shares between backends
    UPSTREAM_PATH = "upstream-path"
    UPSTREAM_HOST = "upstream-host"
    REDIRECT = "redirect"  # redirect target or status
    REQUEST_HEADERS = "request-headers"
    RESPONSE_HEADERS = "response-headers"
    CASE = "case"  # case-sensitivity of matching
    HOST_MATCH = "host-match"  # which hostnames match
    SCHEME = "scheme"  # plain HTTP / HTTPS, TLS
    # Not simulated by verify: the request reaches the same place, something around it differs.
    TIMEOUT = "timeout"
    ACCESS = "access"  # authentication, IP lists, rate and connection limits, body limits
    BACKEND_TLS = "backend-tls"
    TRAFFIC = "traffic"  # load balancing, affinity, retries, mirroring, buffering, compression
    RESPONSE = "response"  # a status or body the gateway answers with instead of the backend's
    OBSERVABILITY = "observability"  # logs, tracing


_D = Dimension
#: The dimensions ``verify`` simulates; a difference in another one is listed as "not simulated".
SIMULATED: frozenset[Dimension] = frozenset({
    _D.ROUTE, _D.BACKEND, _D.WEIGHT, _D.UPSTREAM_PATH, _D.UPSTREAM_HOST, _D.REDIRECT, _D.REQUEST_HEADERS,
    _D.RESPONSE_HEADERS, _D.CASE, _D.HOST_MATCH, _D.SCHEME})
#: What each kind of intent may change when it is rendered differently or not at all; a difference an emitter
#: states without naming dimensions gets these (the intent's class name, or its policy family).
DIMENSIONS: dict[str, frozenset[Dimension]] = {k: frozenset(v) for k, v in {
    "RequestRedirect": (_D.REDIRECT, _D.SCHEME), "URLRewrite": (_D.UPSTREAM_PATH, _D.UPSTREAM_HOST),
    "Timeouts": (_D.TIMEOUT,), "IdleTimeout": (_D.TIMEOUT,), "CORS": (_D.RESPONSE_HEADERS,),
    "RequestMirror": (_D.TRAFFIC,),
    "Retry": (_D.TRAFFIC,), "SessionPersistence": (_D.TRAFFIC,), "ExternalAuth": (_D.ACCESS,),
    "BackendTLS": (_D.BACKEND_TLS,),
    "ext-auth": (_D.ACCESS,),
    "basic-auth": (_D.ACCESS,), "client-cert": (_D.ACCESS, _D.SCHEME),
    "global-auth-opt-out": (_D.ACCESS,), "ip-allow": (_D.ACCESS,), "ip-deny": (_D.ACCESS,),
    "rate-limit": (_D.ACCESS,), "connection-limit": (_D.ACCESS,), "in-flight": (_D.ACCESS,),
    "body-size": (_D.ACCESS,), "waf": (_D.ACCESS,), "bandwidth-limit": (_D.TRAFFIC,),
    "client-body-buffer": (_D.TRAFFIC,), "proxy-buffering": (_D.TRAFFIC,), "compression": (_D.RESPONSE_HEADERS,),
    "upstream-timeouts": (_D.TIMEOUT,), "retry": (_D.TRAFFIC,), "circuit-breaker": (_D.TRAFFIC, _D.RESPONSE),
    "error-pages": (_D.RESPONSE,), "backend-tls": (_D.BACKEND_TLS,), "servers-transport": (_D.BACKEND_TLS,),
    "session-cookie": (_D.TRAFFIC,), "load-balancer": (_D.TRAFFIC,), "service-upstream": (_D.TRAFFIC,),
    "native-lb": (_D.TRAFFIC,), "regex-rewrite": (_D.UPSTREAM_PATH,), "client-cert-forward": (_D.REQUEST_HEADERS,),
    "grpc-web": (_D.TRAFFIC,), "encoded-characters": (_D.ROUTE,), "access-log": (_D.OBSERVABILITY,),
    "tracing": (_D.OBSERVABILITY,),
    # Raw NGINX can change anything: nothing can be explained with it (it is never rendered anyway).
    "snippet": (),
}.items()}


_REQUEST_HEADERS, _RESPONSE_HEADERS = frozenset({_D.REQUEST_HEADERS}), frozenset({_D.RESPONSE_HEADERS})
_NONE: frozenset[Dimension] = frozenset()


def dimensions_of(intent) -> frozenset[Dimension]:
    name = _name(intent)
    if name == "HeaderModifier":
        return _REQUEST_HEADERS if intent.direction == "request" else _RESPONSE_HEADERS
    if name == "basic-auth" and (getattr(intent, "remove_header", False) or getattr(intent, "header_field", None)):
        # Traefik's basicAuth removes Authorization (removeHeader) or forwards the user (headerField).
        return DIMENSIONS[name] | _REQUEST_HEADERS
    return DIMENSIONS.get(name, _NONE)


class Verdict(str, Enum):
    """Ordered from best to worst: combining decisions keeps the worst."""

    RENDERED = "rendered"
    POLICY = "policy"
    UNSUPPORTED = "unsupported"
    NEEDS_VERSION = "needs-version"
    NEEDS_POLICY = "needs-policy"


#: Among refusals, the one a user can act on most directly wins the finding: "choose an emitter" beats
#: "choose a version", which beats "cannot be done".
_RANK = {Verdict.RENDERED: 0, Verdict.POLICY: 1, Verdict.UNSUPPORTED: 2, Verdict.NEEDS_VERSION: 3,
         Verdict.NEEDS_POLICY: 4}

REFUSALS = frozenset({Verdict.UNSUPPORTED, Verdict.NEEDS_VERSION, Verdict.NEEDS_POLICY})


@dataclass(frozen=True)
class Difference:
    detail: str
    changes: frozenset[Dimension] = frozenset()


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    #: Kinds of the implementation objects written (``TrafficPolicy``, ``GatewayExtension``).
    objects: tuple[str, ...] = ()
    #: What behaves differently (rendered or policy): non-empty means lossy.
    differences: tuple[Difference, ...] = ()
    #: Why it was not rendered (refusals).
    reasons: tuple[str, ...] = ()
    #: Answers for single fields of the intent (see the module docstring).
    fields: tuple[tuple[str, "Outcome"], ...] = ()

    @property
    def lossy(self) -> bool:
        return bool(self.differences)

    @property
    def refused(self) -> bool:
        return self.verdict in REFUSALS

    @property
    def changes(self) -> frozenset[Dimension]:
        """The request dimensions the differences change."""
        return frozenset(c for d in self.differences for c in d.changes)

    @property
    def held(self) -> bool:
        return not self.refused

    def describe(self) -> str:
        """The differences and reasons, in words (for tests and logs; verdicts never read it)."""
        return "; ".join([d.detail for d in self.differences] + list(self.reasons))

    def with_differences(self, *differences: Difference) -> "Outcome":
        return Outcome(self.verdict, self.objects, _uniq(self.differences + differences), self.reasons, self.fields)

    def answer(self, name: str) -> "Outcome":
        """The outcome for one field of the intent."""
        for f, o in self.fields:
            if f == name:
                return o
        return Outcome(self.verdict, self.objects, self.differences, self.reasons)


_EXACT = Outcome(Verdict.RENDERED)  # the most common answer by far: one shared (frozen) value


def _uniq(items: tuple) -> tuple:
    return tuple(dict.fromkeys(items))


def exact(*, fields: dict[str, Outcome] | None = None) -> Outcome:
    return Outcome(Verdict.RENDERED, fields=_fields(fields)) if fields else _EXACT


def lossy(detail: str, *changes: Dimension, fields: dict[str, Outcome] | None = None) -> Outcome:
    return Outcome(Verdict.RENDERED, differences=(Difference(detail, frozenset(changes)),), fields=_fields(fields))


def policy(*kinds: str, differences: tuple[Difference, ...] = (),
           fields: dict[str, Outcome] | None = None) -> Outcome:
    return Outcome(Verdict.POLICY, objects=_uniq(kinds), differences=differences, fields=_fields(fields))


def needs_version(reason: str) -> Outcome:
    return Outcome(Verdict.NEEDS_VERSION, reasons=(reason,))


def needs_policy(reason: str) -> Outcome:
    return Outcome(Verdict.NEEDS_POLICY, reasons=(reason,))


def unsupported(reason: str) -> Outcome:
    return Outcome(Verdict.UNSUPPORTED, reasons=(reason,))


def _fields(fields: dict[str, Outcome] | None) -> tuple:
    return tuple(sorted((fields or {}).items(), key=lambda kv: kv[0]))


def combine(outcomes: list[Outcome]) -> Outcome | None:
    """One outcome for several answers about the same setting: the worst verdict, every object written,
    every difference and every reason (in the order given, without repeats)."""
    if not outcomes:
        return None
    worst = max(outcomes, key=lambda o: _RANK[o.verdict]).verdict
    objects = _uniq(tuple(k for o in outcomes for k in o.objects))
    differences = _uniq(tuple(d for o in outcomes for d in o.differences))
    reasons = _uniq(tuple(r for o in outcomes if o.verdict is worst for r in o.reasons))
    if worst not in REFUSALS:
        # A policy answer among rendered ones: the setting became policy objects (the Gateway API part
        # is exact or carries its own differences).
        worst = Verdict.POLICY if objects else Verdict.RENDERED
    return Outcome(worst, objects, differences, reasons)


@dataclass(frozen=True)
class Decision:
    """One answer about one intent: who asked for it (``origin``, and the annotations that set single
    fields), what kind of intent it was, and the outcome."""

    origin: object  # ingress2gw.model.ir.Origin (kept untyped: model.ir imports this module)
    intent: str  # the intent's class name (IR class or policy family)
    outcome: Outcome
    field_origins: tuple = ()
    #: The difference the provider stated when it built the intent (``Intent.caveat``): it holds wherever
    #: the intent is rendered, unless an emitter says its rendering does what the source did (``voids``).
    provider_caveat: str = ""
    voids_caveat: bool = False
    #: What the intent may change (``dimensions_of``): a refusal of it changes these.
    dimensions: frozenset = frozenset()
    #: What the provider's caveat is about (``Intent.caveat_changes``); empty: ``dimensions``.
    caveat_changes: frozenset = frozenset()


@dataclass
class Ledger:
    """The decisions of one emission, in the order they were made. Append-only."""

    decisions: list[Decision] = field(default_factory=list)

    def record(self, intent, outcome: Outcome) -> None:
        if intent.origin is None:
            return  # an intent the emitter made itself (nothing to report on)
        dims = dimensions_of(intent)
        if any(not d.changes for d in outcome.differences):
            outcome = Outcome(outcome.verdict, outcome.objects,
                              tuple(d if d.changes else Difference(d.detail, dims) for d in outcome.differences),
                              outcome.reasons, outcome.fields)
        self.decisions.append(Decision(intent.origin, _name(intent), outcome, tuple(intent.field_origins),
                                       "" if outcome.refused else intent.caveat, False, dims,
                                       frozenset(intent.caveat_changes)))

    def void_caveat(self, intent, instead: str = "", *changes: Dimension) -> None:
        """The emitter's rendering of ``intent`` does what the source did, so the provider's caveat (written
        for Gateway API or for other implementations) does not hold; ``instead`` is what differs here."""
        if intent.origin is None:
            return
        dims = dimensions_of(intent)
        outcome = policy(differences=(Difference(instead, frozenset(changes) or dims),) if instead else ())
        self.decisions.append(Decision(intent.origin, _name(intent), outcome, (), "", True, dims))

    def keep(self, origin, how: str) -> None:
        """The source object behind ``origin`` is kept as it is (a Traefik Middleware the Traefik emitter
        attaches): whatever was said of it while it was read gives way to this answer."""
        self.decisions.append(Decision(origin, "kept", policy(how), (), "", True))

    def about(self, intent) -> Outcome | None:
        """Every answer about the setting behind ``intent`` (its origin), combined."""
        return combine(self.by_origin().get(intent.origin, []))

    def kept_origins(self) -> set:
        return {d.origin for d in self.decisions if d.intent == "kept"}

    def by_origin(self) -> dict:
        """Origin -> its outcomes, with the provider's caveats applied; an origin that set a field of an
        intent gets the answers for that field (one pass over the decisions)."""
        grouped: dict = {}
        for d in self.decisions:
            grouped.setdefault(d.origin, []).append(d)
            for name, origin in d.field_origins:
                # The provider's caveat belongs to the key that asked for the intent, not to the keys that
                # set single fields of it (the emitter's own statements hold for every field it did not answer).
                grouped.setdefault(origin, []).append(
                    Decision(origin, d.intent, d.outcome.answer(name), (), "", d.voids_caveat, d.dimensions))
        index: dict = {}
        for origin, decisions in grouped.items():
            void = any(d.voids_caveat for d in decisions)
            index[origin] = [d.outcome.with_differences(Difference(d.provider_caveat,
                                                                   d.caveat_changes or d.dimensions))
                             if d.provider_caveat and not void else d.outcome for d in decisions]
        return index


_NAMES: dict[type, str] = {}


def _name(intent) -> str:
    """The intent's policy family, or its class name (read from the class: this runs once per answer)."""
    cls = type(intent)
    name = _NAMES.get(cls)
    if name is None:
        name = _NAMES[cls] = getattr(cls, "family", "") or cls.__name__
    return name
