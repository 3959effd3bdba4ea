"""The diagnostic catalog: every finding code, its severity and status, and the text users read.

Severity and status come from here, never from the caller (STYLE.md). ``docs/diagnostics.md`` is
generated from this table by ``python -m ingress2gw.devtools gen-docs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ingress2gw.model.outcome import Dimension as _D


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Status(str, Enum):
    """What happened to the source setting (DESIGN.md, "The audit report")."""

    TRANSLATED = "translated"
    LOSSY = "lossy"
    POLICY = "policy"
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"
    IGNORED = "ignored"
    SECURITY = "security"
    SKIPPED = "skipped"  # an object the tool did not convert (other class, namespace filter)
    INVALID = "invalid"  # input the tool could not read or understand


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    severity: Severity
    status: Status
    title: str
    remedy: str


class Code(Enum):
    """Finding codes. The value is the stable dotted kebab-case id printed to users."""

    def __new__(cls, code: str, severity: Severity, status: Status, title: str, remedy: str):
        obj = object.__new__(cls)
        obj._value_ = code
        obj.info = CodeInfo(code, severity, status, title, remedy)
        return obj

    @property
    def severity(self) -> Severity:
        return self.info.severity

    @property
    def status(self) -> Status:
        return self.info.status

    # --- input --------------------------------------------------------------------------------
    INPUT_UNREADABLE = (
        "input.unreadable", Severity.ERROR, Status.INVALID,
        "An input path could not be read.",
        "Check the path and its permissions.",
    )
    INPUT_NO_MANIFESTS = (
        "input.no-manifests", Severity.WARNING, Status.INVALID,
        "A directory holds no *.yaml, *.yml or *.json file.",
        "Point ingress2gw at the directory that holds the manifests.",
    )
    INPUT_YAML_SYNTAX = (
        "input.yaml-syntax", Severity.ERROR, Status.INVALID,
        "A YAML document could not be parsed.",
        "Fix the YAML at the position shown; the other documents were still converted.",
    )
    INPUT_JSON_SYNTAX = (
        "input.json-syntax", Severity.ERROR, Status.INVALID,
        "A JSON file could not be parsed.",
        "Fix the JSON at the position shown.",
    )
    INPUT_DUPLICATE_KEY = (
        "input.duplicate-key", Severity.WARNING, Status.INVALID,
        "A mapping repeats a key; the last value is used, as kubectl does.",
        "Remove the duplicate key so that the intended value is unambiguous.",
    )
    INPUT_BINARY = (
        "input.binary", Severity.ERROR, Status.INVALID,
        "A file is not UTF-8 text.",
        "Remove the file from the inputs or convert it to UTF-8 YAML/JSON.",
    )
    INPUT_TOO_LARGE = (
        "input.too-large", Severity.ERROR, Status.INVALID,
        "A file is larger than ingress2gw reads.",
        "Split the file or export fewer objects at a time.",
    )
    INPUT_ALIAS_BOMB = (
        "input.alias-bomb", Severity.ERROR, Status.INVALID,
        "A YAML document expands its aliases into far more nodes than it contains.",
        "Remove the recursive or exponential aliases from the document.",
    )
    INPUT_TOO_DEEP = (
        "input.too-deep", Severity.ERROR, Status.INVALID,
        "A YAML document nests deeper than any Kubernetes object does.",
        "Check that the file is a Kubernetes manifest.",
    )
    INPUT_NOT_AN_OBJECT = (
        "input.not-an-object", Severity.WARNING, Status.INVALID,
        "A document is not a mapping, so it cannot be a Kubernetes object.",
        "Remove the document or fix its indentation.",
    )
    INPUT_INVALID_OBJECT = (
        "input.invalid-object", Severity.ERROR, Status.INVALID,
        "An object has a field of the wrong type or misses a required field.",
        "Fix the field shown; the API server would reject this object too.",
    )
    INPUT_DUPLICATE_OBJECT = (
        "input.duplicate-object", Severity.WARNING, Status.INVALID,
        "Several documents define one object (kind, namespace, name); one definition is used whatever the input "
        "order: the most recent (later creationTimestamp, a manifest without one counting as newest, then higher "
        "generation).",
        "Remove the duplicate from the inputs.",
    )
    INPUT_UNKNOWN_API_VERSION = (
        "input.unknown-api-version", Severity.WARNING, Status.INVALID,
        "An Ingress uses an apiVersion ingress2gw does not know.",
        "Use networking.k8s.io/v1 (or v1beta1, extensions/v1beta1).",
    )
    # --- selection ----------------------------------------------------------------------------
    INGRESS_OTHER_CLASS = (
        "ingress.other-class", Severity.INFO, Status.SKIPPED,
        "An Ingress belongs to a class or controller that was not selected.",
        "Select it with --ingress-class or --provider if it should be converted.",
    )
    INGRESS_NO_CLASS = (
        "ingress.no-class", Severity.WARNING, Status.SKIPPED,
        "An Ingress names no class, no default IngressClass is in the input, and no provider could be inferred.",
        "Add spec.ingressClassName, include the IngressClass objects in the input, or pass --provider.",
    )
    INGRESS_NAMESPACE_FILTERED = (
        "ingress.namespace-filtered", Severity.INFO, Status.SKIPPED,
        "An Ingress is outside the namespaces selected with -n.",
        "Use -A or add its namespace with -n.",
    )
    INGRESS_CLASS_ASSUMED = (
        "ingress.class-assumed", Severity.INFO, Status.TRANSLATED,
        "The controller of an ingress class was inferred without its IngressClass object.",
        "Include the IngressClass objects in the input (kubectl get ingressclass -o yaml) to make ownership explicit.",
    )
    INGRESS_CLASS_CONFLICT = (
        "ingress.class-conflict", Severity.WARNING, Status.LOSSY,
        "An Ingress sets both spec.ingressClassName and the kubernetes.io/ingress.class annotation to different classes.",
        "Remove the legacy annotation; the annotation was used, as the controllers do.",
    )
    INGRESS_EMPTY = (
        "ingress.empty", Severity.WARNING, Status.SKIPPED,
        "An Ingress has neither rules nor a default backend, so it routes nothing.",
        "Delete the Ingress or give it rules.",
    )
    # --- routing --------------------------------------------------------------------------------
    ROUTE_CONFLICT = (
        "route.conflict", Severity.WARNING, Status.LOSSY,
        "Two Ingresses claim the same host, path and match; the controller served only one of them.",
        "Remove the losing path from its Ingress, or give it a different path.",
    )
    CANARY_NO_MAIN = (
        "canary.no-main", Severity.WARNING, Status.IGNORED,
        "A canary Ingress has no main Ingress with the same host and path, so the controller never sent it "
        "traffic; nothing was emitted for it.",
        "Delete the canary, or fix its host/path to match the main Ingress.",
    )
    ROUTE_DEFAULT_BACKEND_SHADOWED = (
        "route.default-backend-shadowed", Severity.INFO, Status.LOSSY,
        "A default backend was not used because the controller uses another one for the same host or catch-all.",
        "Move the default backend to the Ingress that owns the host, or delete it.",
    )
    PATH_INVALID = (
        "path.invalid", Severity.ERROR, Status.UNSUPPORTED,
        "A path cannot be expressed as a Gateway API path match.",
        "Rewrite the path so it starts with / and uses only URL path characters.",
    )
    HOST_WILDCARD_DEPTH = (
        "host.wildcard-depth", Severity.WARNING, Status.LOSSY,
        "The controller's wildcard host matched exactly one label; a Gateway API wildcard hostname matches "
        "one or more labels.",
        "Check that no deeper subdomain (a.b.example.com for *.example.com) should stay unrouted.",
    )
    PATH_REGEX_MODE = (
        "path.regex-mode", Severity.INFO, Status.TRANSLATED,
        "The controller matched every path of this host as a case-insensitive prefix regex; the paths became "
        "RegularExpression matches that reproduce it.",
        "Nothing to do; regex matching is implementation-specific in Gateway API, so test the routes.",
    )
    PATH_REGEX_STRICT = (
        "path.regex-strict", Severity.WARNING, Status.LOSSY,
        "The controller matched every path of this host as a case-insensitive prefix regex; --regex-mode "
        "strict kept plain paths as Exact/PathPrefix matches, which no longer match other letter cases or "
        "longer paths.",
        "Use --regex-mode faithful to reproduce the controller, or check that no client relied on those matches.",
    )
    PATH_REGEX_PRECEDENCE = (
        "path.regex-precedence", Severity.WARNING, Status.LOSSY,
        "Regex paths of a host overlap; the controller tried them longest first, while Gateway API leaves the "
        "order of RegularExpression matches to the implementation.",
        "Make the overlapping regexes exclusive, or check the order your implementation applies.",
    )
    PATH_TRAILING_SLASH_REDIRECT = (
        "path.trailing-slash-redirect", Severity.INFO, Status.TRANSLATED,
        "The controller answered a prefix location's path without its trailing slash with a 301 to the path "
        "with the slash; an Exact redirect rule reproduces it.",
        "Nothing to do.",
    )
    PATH_CHARACTER_PREFIX = (
        "path.character-prefix", Severity.WARNING, Status.LOSSY,
        "The controller matched this path as a character prefix; Gateway API PathPrefix matches whole path segments.",
        "Check that no client relies on the path matching longer segments (e.g. /app matching /application).",
    )
    BACKEND_UNRESOLVED_PORT = (
        "backend.unresolved-port", Severity.ERROR, Status.UNSUPPORTED,
        "A backend names a Service port by name, and the Service is not in the input or has no such port.",
        "Add the Service to the input (kubectl get service -o yaml), or use a port number in the Ingress.",
    )
    ROUTE_PRIORITY = (
        "route.priority", Severity.WARNING, Status.LOSSY,
        "The source controller ordered two overlapping paths differently from Gateway API precedence, so some "
        "requests reach another backend.",
        "Make the paths not overlap, or check which backend should answer the sample request.",
    )
    POLICY_CONFLICT = (
        "policy.conflict", Severity.WARNING, Status.LOSSY,
        "Two Ingresses set the same Service- or Gateway-wide policy field to different values; the oldest was kept.",
        "Make the settings agree, or give the Ingresses separate Services.",
    )
    ROUTE_GRPC_PATH = (
        "route.grpc-path", Severity.WARNING, Status.LOSSY,
        "A gRPC backend is routed by a path that is not a gRPC service or method, so it stays on an HTTPRoute.",
        "Give the Service port appProtocol kubernetes.io/h2c, or route by /<package.Service>.",
    )
    BACKEND_RESOURCE = (
        "backend.resource", Severity.ERROR, Status.UNSUPPORTED,
        "A backend points at a resource (spec.backend.resource) rather than a Service.",
        "Route to a Service, or express the object as a Gateway API backend your implementation supports.",
    )
    # --- TLS ------------------------------------------------------------------------------------
    TLS_NO_SECRET = (
        "tls.no-secret", Severity.WARNING, Status.LOSSY,
        "A TLS host has no secretName, so the controller served its default certificate; no HTTPS listener was emitted.",
        "Create a certificate Secret for the host (e.g. with cert-manager) and add it to spec.tls.",
    )
    TLS_HOST_WITHOUT_RULE = (
        "tls.host-without-rule", Severity.INFO, Status.IGNORED,
        "A host is listed in spec.tls but no rule routes it.",
        "Nothing to do unless the host should be served.",
    )
    TLS_REDIRECT = (
        "tls.redirect", Severity.INFO, Status.TRANSLATED,
        "The controller redirected plain HTTP to HTTPS for this host; an HTTP listener route with a redirect was emitted.",
        "Nothing to do.",
    )
    TLS_REDIRECT_CODE = (
        "tls.redirect-code", Severity.WARNING, Status.LOSSY,
        "The controller answered HTTP with a 307/308 redirect, which the target Gateway API version cannot express; 301/302 was used.",
        "Target Gateway API >= 1.5 to keep the method-preserving redirect code.",
    )
    TLS_DEFAULT_CERTIFICATE = (
        "tls.default-certificate", Severity.INFO, Status.LOSSY,
        "The controller also served this host over HTTPS with its default certificate; that has no Gateway API equivalent without a Secret.",
        "Add a certificate Secret for the host to spec.tls if HTTPS clients reach it.",
    )
    # --- annotations ----------------------------------------------------------------------------
    ANNOTATION_TRANSLATED = (
        "annotation.translated", Severity.INFO, Status.TRANSLATED,
        "An annotation was translated.",
        "Nothing to do.",
    )
    ANNOTATION_LOSSY = (
        "annotation.lossy", Severity.WARNING, Status.LOSSY,
        "An annotation was translated, but the result behaves differently in the cases described.",
        "Review the difference described in the finding.",
    )
    ANNOTATION_POLICY = (
        "annotation.policy", Severity.WARNING, Status.POLICY,
        "An annotation needs an implementation policy that the chosen emitter does not produce.",
        "Choose an --emitter that supports the policy, or configure it on your gateway by hand.",
    )
    ANNOTATION_POLICY_EMITTED = (
        "annotation.policy-emitted", Severity.INFO, Status.TRANSLATED,
        "An annotation was translated into a policy object of the chosen implementation.",
        "Review the policy object; its fields are the implementation's own.",
    )
    ANNOTATION_UNSUPPORTED = (
        "annotation.unsupported", Severity.ERROR, Status.UNSUPPORTED,
        "An annotation has no translation; its behaviour is lost unless rebuilt by hand.",
        "Follow the manual step in the finding.",
    )
    ANNOTATION_NEEDS_VERSION = (
        "annotation.needs-version", Severity.ERROR, Status.UNSUPPORTED,
        "An annotation has a Gateway API translation, but not in the targeted version or channel.",
        "Target a Gateway API version/channel that has the feature, or rebuild it by hand.",
    )
    ANNOTATION_UNKNOWN = (
        "annotation.unknown", Severity.ERROR, Status.UNKNOWN,
        "An annotation has the provider's prefix but is not one the provider knows.",
        "Check the spelling; unknown annotations are never copied into the output.",
    )
    ANNOTATION_IGNORED = (
        "annotation.ignored", Severity.INFO, Status.IGNORED,
        "An annotation has no effect on routing once the controller is gone.",
        "Nothing to do.",
    )
    ANNOTATION_INVALID_VALUE = (
        "annotation.invalid-value", Severity.WARNING, Status.INVALID,
        "An annotation value is not valid; the controller ignored it and used its default.",
        "Fix or remove the value.",
    )
    ANNOTATION_SECURITY = (
        "annotation.security", Severity.ERROR, Status.SECURITY,
        "An annotation injects raw proxy configuration; it is never translated into anything that runs code.",
        "Rebuild the behaviour with route filters or implementation policies, and review what the snippet did.",
    )
    CONTROLLER_DEFAULT_LOSSY = (
        "controller-default.lossy", Severity.WARNING, Status.LOSSY,
        "A setting the controller applied without any annotation (its default, or its ConfigMap's value) is "
        "rendered differently, or not written (--controller-defaults report); the finding says which requests "
        "change.",
        "Check the requests the finding names; set the value on your gateway if they matter, or convert with "
        "--controller-defaults render.",
    )
    # --- TCP/UDP ports of the controller --------------------------------------------------------
    STREAM_INVALID_ENTRY = (
        "stream.invalid-entry", Severity.WARNING, Status.INVALID,
        "An entry of a TCP/UDP services ConfigMap is not a port number mapped to "
        "<namespace>/<service>:<port>[:PROXY][:PROXY]; the controller skipped it, and so did the conversion.",
        "Fix or remove the entry.",
    )
    STREAM_PORT_CLASH = (
        "stream.port-clash", Severity.ERROR, Status.UNSUPPORTED,
        "A TCP/UDP services entry uses a port of the HTTP/HTTPS listeners or of the controller itself (the "
        "controller reserves them and skipped the entry); no listener was emitted for it.",
        "Move the service to a free port, or give it a Gateway of its own.",
    )
    STREAM_PROXY_PROTOCOL = (
        "stream.proxy-protocol", Severity.WARNING, Status.LOSSY,
        "A TCP services entry had the controller accept or send the PROXY protocol; Gateway API has no field for "
        "it, so the TCPRoute forwards plain connections.",
        "Configure the PROXY protocol on the gateway implementation (its own policy or listener settings), or "
        "stop sending/expecting it on that port.",
    )
    STREAM_BACKEND_MISSING = (
        "stream.backend-missing", Severity.WARNING, Status.INVALID,
        "The Service (or the Service port) a TCP/UDP services entry names is not in the input; no route was "
        "emitted for the entry.",
        "Include the Service in the input (kubectl get service -A), or fix the entry's namespace, name or port.",
    )
    STREAM_UNSUPPORTED = (
        "stream.unsupported", Severity.WARNING, Status.UNSUPPORTED,
        "The chosen implementation does not support the route kind a TCP/UDP port needs (e.g. UDPRoute); the "
        "listener and route were left out.",
        "Serve the port with another Gateway implementation, or expose the Service directly (type LoadBalancer).",
    )
    # --- output ---------------------------------------------------------------------------------
    GATEWAY_API_VERSION = (
        "gateway-api.version", Severity.WARNING, Status.LOSSY,
        "A feature needs a newer Gateway API version or the experimental channel, so it was left out.",
        "Target a Gateway API version/channel that has the feature (--gateway-api-version, --channel).",
    )
    GATEWAY_LISTENER_LIMIT = (
        "gateway.listener-limit", Severity.INFO, Status.TRANSLATED,
        "More than 64 listeners were needed, so listeners were spread over several Gateways or ListenerSets.",
        "Nothing to do; review the split if your implementation charges per Gateway.",
    )
    GATEWAY_EXISTING = (
        "gateway.existing", Severity.INFO, Status.TRANSLATED,
        "Routes attach to an existing Gateway given with --gateway; no Gateway was emitted.",
        "Make sure the existing Gateway has listeners (sectionName) and allowedRoutes matching the routes.",
    )
    ROUTE_TOO_LARGE = (
        "route.split", Severity.INFO, Status.TRANSLATED,
        "A host needed more rules than one route may hold, so its rules were split over several routes.",
        "Nothing to do.",
    )
    PROVIDER_DEFAULTS = (
        "provider.defaults", Severity.INFO, Status.TRANSLATED,
        "The controller's global configuration was not in the input; the translation assumed its defaults.",
        "Pass the controller configuration (ConfigMap or static config) if it differed from the defaults listed.",
    )


#: What a finding of each routing code says may differ, and how far it reaches: ``ingress`` (the requests the
#: Ingress it names serves), ``host`` (every request for a host of that Ingress). Annotation findings get the
#: dimensions of the setting (the outcome's differences, or what the annotation produces); codes not listed
#: here claim no difference in any request.
CODE_DIMENSIONS: dict[str, tuple[frozenset, str]] = {code: (frozenset(dims), scope) for code, dims, scope in (
    ("route.conflict", (_D.ROUTE, _D.BACKEND), "host"),
    ("route.default-backend-shadowed", (_D.ROUTE, _D.BACKEND), "host"),
    ("path.invalid", (_D.ROUTE,), "ingress"),
    ("host.wildcard-depth", (_D.HOST_MATCH,), "host"),
    ("path.regex-strict", (_D.CASE, _D.ROUTE), "host"),
    ("path.regex-precedence", (_D.ROUTE,), "host"),
    ("path.character-prefix", (_D.ROUTE,), "ingress"),
    ("backend.unresolved-port", (_D.BACKEND, _D.ROUTE), "ingress"),  # the path is left out
    # An object (or a part of one) the API server rejects: the tool leaves it out; a cluster never served it.
    ("input.invalid-object", (_D.ROUTE, _D.BACKEND), "ingress"),
    ("backend.resource", (_D.ROUTE, _D.BACKEND), "ingress"),
    ("route.priority", (_D.ROUTE,), "ingress"),
    ("route.grpc-path", (_D.ROUTE,), "ingress"),
    ("tls.no-secret", (_D.SCHEME,), "host"),
    ("tls.host-without-rule", (_D.SCHEME,), "host"),
    ("tls.default-certificate", (_D.SCHEME,), "host"),
    # Narrow: only a redirect to the same place with another status / without the trailing slash.
    ("tls.redirect-code", (_D.REDIRECT,), "host"),
    ("tls.redirect", (_D.REDIRECT,), "host"),
)}


def all_codes() -> list[CodeInfo]:
    """The catalog in declaration order (the generated docs use it)."""
    return [c.info for c in Code]
