"""What traffic should do, and who asked for it.

Intents are frozen pydantic models (``Node``); the containers a provider fills (``IngressDraft`` →
``RuleDraft``) are plain mutable dataclasses, because passes move rules between hosts. Every rule and
intent carries an ``Origin`` so that whatever an emitter cannot use is reported with its file:line.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import ClassVar, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingress2gw.source.location import Location

__all__ = [
    "Node", "Origin", "ServiceBackend", "PathMatch", "HeaderMatch", "Match",
    "RequestRedirect", "URLRewrite", "HeaderModifier", "Unmapped", "Intent", "Timeouts", "IdleTimeout", "CORS",
    "RequestMirror", "Retry", "SessionPersistence", "ExternalAuth", "BackendTLS", "PolicyIntent",
    "RuleDraft", "TLSCert", "Pending", "IngressDraft", "StreamRoute",
]


class Node(BaseModel):
    """Base of IR intents: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Origin(Node):
    """The source object (and annotation, if any) an IR element came from."""

    kind: str = "Ingress"
    namespace: str
    name: str
    location: Location
    annotation: str = ""
    #: Set when no annotation asked for the intent and the controller applied it anyway (its default):
    #: the setting and value, as ``proxy-read-timeout 60s``. Its finding, one per source object, says what
    #: the emitter's rendering changes (``ingress2gw.report.derive``).
    default: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class ServiceBackend(Node):
    namespace: str
    name: str
    port: int | None = Field(default=None, ge=1, le=65535)
    weight: int = Field(default=1, ge=0, le=1_000_000)
    #: appProtocol of the Service port when known (``kubernetes.io/h2c``, ...).
    app_protocol: str | None = None


class PathMatch(Node):
    type: Literal["Exact", "PathPrefix", "RegularExpression"]
    value: str


class HeaderMatch(Node):
    name: str
    value: str
    type: Literal["Exact", "RegularExpression"] = "Exact"


class Match(Node):
    path: PathMatch
    headers: tuple[HeaderMatch, ...] = ()

    def sort_key(self) -> tuple:
        return (self.path.type, self.path.value, tuple((h.name, h.type, h.value) for h in self.headers))


class Unmapped(Node):
    """Something a provider understood but the IR cannot hold yet; reported, never dropped."""

    origin: Origin
    reason: str


class Intent(Node):
    """Something a rule should do. ``origin`` names the annotation that asked for it; emitters render
    the intents they can express for the target and mark them used, and the rest is reported."""

    origin: Origin | None = None
    #: When set, the translation is lossy: the text says what behaves differently.
    caveat: str = ""
    #: The request dimensions the caveat is about (``outcome.Dimension``); none: the intent kind's dimensions.
    caveat_changes: tuple = ()
    #: Fields set by other annotations than ``origin`` (``signin`` from ``auth-signin`` in the ext-auth policy
    #: of ``auth-url``): the emitter's outcome answers for each (``Outcome.fields``), and so does its finding.
    field_origins: tuple[tuple[str, Origin], ...] = ()


# What Gateway API accepts in the fields these intents become (HTTPRoute CRD patterns and lengths); a value
# outside them is refused when the provider builds the intent (the dispatcher reports it as an invalid value at
# the annotation), so it never reaches the output. Control characters never do.
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}")
_PATH = re.compile(r"/(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*")
_HOSTNAME = re.compile(r"(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_path(value: str | None, what: str) -> str | None:
    if value is not None and (len(value) > 1024 or not _PATH.fullmatch(value)):
        raise ValueError(f"{what} {value[:80]!r} is not a path Gateway API accepts (it starts with /, uses URL path "
                         "characters only and is at most 1024 characters long)")
    return value


def _check_hostname(value: str | None) -> str | None:
    if value is not None and not _HOSTNAME.fullmatch(value):
        raise ValueError(f"{value[:80]!r} is not a DNS name")
    return value


class _PathsAndHost(Intent):
    """The checks of ``replace_full_path``/``replace_prefix_match`` and ``hostname`` (the subclasses' fields)."""

    _path_kind: ClassVar[str] = "path"

    @field_validator("replace_full_path", "replace_prefix_match", check_fields=False)
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        return _check_path(v, cls._path_kind)

    @field_validator("hostname", check_fields=False)
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        return _check_hostname(v)


class RequestRedirect(_PathsAndHost):
    _path_kind: ClassVar[str] = "redirect path"

    scheme: Literal["http", "https"] | None = None
    hostname: str | None = None
    port: int | None = None
    replace_full_path: str | None = None
    replace_prefix_match: str | None = None
    status_code: int = 302


class URLRewrite(_PathsAndHost):
    _path_kind: ClassVar[str] = "rewrite path"

    hostname: str | None = None
    replace_full_path: str | None = None
    replace_prefix_match: str | None = None


class HeaderModifier(Intent):
    direction: Literal["request", "response"]
    set: tuple[tuple[str, str], ...] = ()
    add: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()

    @field_validator("set", "add")
    @classmethod
    def _pairs(cls, v: tuple) -> tuple:
        for name, value in v:
            _check_header_name(name)
            if len(value) > 4096 or _CONTROL.search(value):
                raise ValueError(f"the value of header {name} has a control character (a line break, NUL...) or "
                                 "is longer than 4096 characters: a header value cannot carry it")
        return v

    @field_validator("remove")
    @classmethod
    def _names(cls, v: tuple) -> tuple:
        for name in v:
            _check_header_name(name)
        return v


def _check_header_name(name: str) -> None:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"{name[:80]!r} is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, at most "
                         "256 characters)")


class Timeouts(Intent):
    """Gateway API durations (``10s``, ``1m``): ``request`` bounds the whole exchange."""

    request: str | None = None
    backend_request: str | None = None


class IdleTimeout(Intent):
    """The longest the backend may stay silent: before its response starts and between two reads of it
    (nginx ``proxy_read_timeout``). Not a bound on the whole response: a response that keeps sending runs
    as long as it needs. Gateway API has no such field; implementations with a stream idle timeout hold it.

    ``written`` False: a controller default the user chose not to write (``--controller-defaults report``):
    the emitter writes nothing for it and states what its gateway does instead."""

    read: str  # Gateway API duration
    written: bool = True


class CORS(Intent):
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool | None = None


class RequestMirror(Intent):
    backend: ServiceBackend
    percent: int | None = Field(default=None, ge=0, le=100)


class Retry(Intent):
    attempts: int = Field(ge=1)
    codes: tuple[int, ...] = ()
    backoff: str | None = None


class SessionPersistence(Intent):
    type: Literal["Cookie", "Header"] = "Cookie"
    session_name: str | None = None
    absolute_timeout: str | None = None
    lifetime: Literal["Session", "Permanent"] | None = None


class ExternalAuth(Intent):
    protocol: Literal["HTTP", "GRPC"] = "HTTP"
    backend: ServiceBackend
    path: str | None = None
    allowed_headers: tuple[str, ...] = ()
    allowed_response_headers: tuple[str, ...] = ()


class BackendTLS(Intent):
    """TLS from the gateway to the backend Service (BackendTLSPolicy, which always verifies the backend's
    certificate: each emitter decides what ``verify`` and ``ca_secret`` make of its rendering)."""

    hostname: str
    ca_config_maps: tuple[str, ...] = ()
    well_known_system: bool = True
    #: Whether the source verified the backend's certificate. ingress-nginx does not unless proxy-ssl-verify
    #: is "on" next to a proxy-ssl-secret; Traefik does unless its ServersTransport sets insecureSkipVerify.
    verify: bool = True
    #: ``namespace/name`` of the Secret whose ca.crt the source verified the certificate against (ingress-nginx
    #: proxy-ssl-secret); None: the system CAs (or ``ca_config_maps``).
    ca_secret: str | None = None


class PolicyIntent(Intent):
    """A setting only implementation policies can hold (body size, rate limits, IP lists, auth...).

    Abstract: each policy family is a subclass with typed fields (``ingress2gw.model.policies``), and
    ``family`` its stable id (``body-size``, ``rate-limit``, ``ip-allow``...). The standard emitter never
    renders these; implementation emitters do (issue 7).
    """

    #: Stable id of the family (``rate-limit``); set by each family class.
    family: ClassVar[str]
    #: The narrowest place the source setting applied: ``route``, ``service`` or ``gateway``.
    scope: ClassVar[str]
    description: ClassVar[str]
    #: A realistic value set: emitters are probed with it to compute what they can hold.
    example: ClassVar[dict] = {}

    def __init__(self, /, **data) -> None:
        if not hasattr(type(self), "family"):
            raise TypeError(f"{type(self).__name__} is abstract: build one of the policy family classes")
        super().__init__(**data)




@dataclass
class RuleDraft:
    """One routing rule: a host + match → backends, with the intents attached to it."""

    host: str | None  # None: every host (the catch-all server)
    match: Match
    backends: list[ServiceBackend]
    origin: Origin
    #: creationTimestamp of the source Ingress (RFC 3339 sorts as text); "" when absent.
    created: str = ""
    intents: list[Intent] = field(default_factory=list)
    #: Intents that apply only where the rule is served over HTTPS (ingress-nginx's HSTS header): the plan
    #: adds them to the rule's copy on the HTTPS listener, never to plain HTTP.
    https_intents: list[Intent] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    #: Catch-all from spec.defaultBackend: lowest precedence on its host.
    is_default_backend: bool = False
    #: A catch-all that keeps its place: an explicit rule for the same path of another Ingress does not replace
    #: it (ingress-nginx: the catch-all server's root, once an Ingress without rules took it).
    keeps_root: bool = False
    #: Served on plain HTTP / on HTTPS (decided by the provider from TLS and its defaults).
    serve_http: bool = True
    serve_https: bool = True
    #: When the host has TLS, plain-HTTP requests for this rule are redirected to HTTPS.
    ssl_redirect: bool = False
    #: Redirect plain HTTP to HTTPS even when the host has no certificate of its own (the controller's
    #: force-ssl-redirect; HTTPS is then served with its default certificate).
    force_ssl_redirect: bool = False
    #: ``grpc`` rules become GRPCRoute rules where the target has GRPCRoute.
    protocol: Literal["http", "grpc"] = "http"
    #: The Ingress path this rule came from, as written, and its pathType ("" for generated rules).
    source_path: str | None = None
    source_path_type: str = ""

    def add(self, intent: Intent) -> None:
        self.intents.append(intent)

    def conflict_key(self) -> tuple:
        return (self.host or "", self.match.sort_key())


@dataclass(frozen=True)
class TLSCert:
    #: None: every host (an HTTPS listener without hostname; a controller's default certificate).
    host: str | None
    namespace: str
    secret: str



class StreamRoute(Node):
    """A TCP or UDP port of the controller forwarded to a Service port, whatever the host (ingress-nginx's
    ``tcp-services``/``udp-services`` ConfigMap entries): a Gateway listener on ``port`` and a TCPRoute/UDPRoute.
    The provider resolves the Service port (a named port becomes its number) and reports entries it cannot."""

    protocol: Literal["TCP", "UDP"]
    #: The port clients connect to (the listener's port).
    port: int = Field(ge=1, le=65535)
    backend: ServiceBackend
    #: PROXY protocol the source handled, which Gateway API cannot express: ``decode`` (accepted from clients),
    #: ``encode`` (sent to the backend). The provider reports them; emitters carry the route without them.
    proxy_protocol: tuple[Literal["decode", "encode"], ...] = ()
    #: The ConfigMap entry (kind ``ConfigMap``, location of the key).
    origin: Origin
    #: The Gateway key and ingress class the listener goes to (set by the translate stage).
    gateway: str = ""
    ingress_class: str = ""
    provider: str = ""


class Pending(NamedTuple):
    """A setting whose finding waits for the emitter's outcomes (``IngressProvider.defer``)."""

    spec: object  # ingress2gw.provider.registry.AnnotationSpec
    value: object  # ingress2gw.provider.registry.AnnotationValue
    #: A finding known from reading it; stands unless the emitter keeps the object (``yields="kept"``) or
    #: holds the setting (``yields="held"``).
    standing: object = None
    yields: str = "kept"
    #: The object the finding names when it is not the Ingress (a controller ConfigMap).
    about: object = None


@dataclass
class IngressDraft:
    """A provider's translation of one Ingress."""

    origin: Origin
    provider: str
    ingress_class: str
    gateway: str  # the Gateway key this Ingress's routes attach to (the ingress class, sanitised)
    created: str
    rules: list[RuleDraft] = field(default_factory=list)
    #: Hosts of spec.rules in order (None: a rule without host), including hosts without paths.
    hosts: list[str | None] = field(default_factory=list)
    #: Hosts served over HTTPS, with the Secret of each (from spec.tls and the provider's rules).
    tls: list[TLSCert] = field(default_factory=list)
    #: Hosts the controller redirects from HTTP to HTTPS, and the status code it uses.
    redirect_code: int = 308
    #: Whether rules of this Ingress redirect plain HTTP to HTTPS when their host has TLS.
    ssl_redirect: bool = False
    #: Whether the Ingress redirects plain HTTP to HTTPS whatever its hosts' TLS (ingress-nginx
    #: force-ssl-redirect): the root location the controller makes for a host it owns redirects too.
    force_ssl_redirect: bool = False

    #: The default backend of the Ingress (a catch-all), before passes place it.
    default_backend: ServiceBackend | None = None
    default_backend_origin: Origin | None = None
    #: Hosts whose TLS the controller passed through to the backend (TLSRoute), with the backend.
    passthrough: list[tuple[str, ServiceBackend]] = field(default_factory=list)
    #: Settings whose finding is derived after emission from the emitter's outcomes (``Pending``).
    pending: list["Pending"] = field(default_factory=list)
    #: Annotations for the Gateway that companion controllers read there (cert-manager, external-dns):
    #: only keys a provider declares as companions are ever carried.
    gateway_annotations: dict[str, str] = field(default_factory=dict)
    #: The typed source object (``ingress2gw.plugin.Ingress``) the draft was translated from.
    source: object | None = None
    #: Provider-private state gathered while annotations are read (finished in ``IngressProvider.finish``).
    provider_state: dict = field(default_factory=dict)


def controller_order(d: "IngressDraft") -> tuple:
    """The controllers' order: oldest creationTimestamp first; equal timestamps by namespace/name *descending*
    (ingress-nginx's store, store.go ListIngresses: ``return in > jn``). Ingresses without creationTimestamp
    (GitOps files, which get their timestamps when applied) come after dated ones, by namespace/name."""
    if not d.created:
        return (True, "", _ascending(d.origin.namespace, d.origin.name))
    return (False, d.created, _descending(f"{d.origin.namespace}/{d.origin.name}"))


def _ascending(namespace: str, name: str) -> tuple:
    return tuple(ord(c) for c in f"{namespace}/{name}") + (-1,)


def _descending(key: str) -> tuple:
    """A sort key that orders strings in reverse (a longer string before its own prefix, as ``>`` does)."""
    return tuple(-ord(c) for c in key) + (1,)
