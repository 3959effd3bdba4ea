"""The public plugin API. Providers (first-party ones in ``providers/`` included) import only this.

A provider is an object exposed through the ``ingress2gw.providers`` entry-point group. It knows which
Ingresses are its own (IngressClass controller, class names, annotation prefixes), turns each into an
``IngressDraft`` (the IR), and declares every annotation it knows in an ``AnnotationRegistry``.
``IngressProvider`` implements the core Ingress spec; a provider overrides the hooks where its
controller behaves differently (ImplementationSpecific paths, TLS, default backends).
"""

from __future__ import annotations

from pydantic import ValidationError

from ingress2gw.model.ir import (
    CORS, BackendTLS, ExternalAuth, HeaderMatch, HeaderModifier, IdleTimeout, IngressDraft, Intent, Match, Origin,
    PathMatch, PolicyIntent, RequestMirror, RequestRedirect, Retry, RuleDraft, ServiceBackend, SessionPersistence,
    StreamRoute, Timeouts, TLSCert, Unmapped, URLRewrite, controller_order,
)
from ingress2gw.model.outcome import Dimension
from ingress2gw.model.policies import (
    AccessLogPolicy, BackendTLSOptionsPolicy, BandwidthLimitPolicy, BasicAuthPolicy, BodySizePolicy,
    CircuitBreakerPolicy, ClientBodyBufferPolicy, ClientCertForwardPolicy, ClientCertPolicy, CompressionPolicy,
    ConnectionLimitPolicy, EncodedCharactersPolicy, ErrorPagesPolicy, ExtAuthPolicy, GlobalAuthOptOutPolicy,
    GRPCWebPolicy, InFlightPolicy, IPAllowPolicy, IPDenyPolicy, LoadBalancerPolicy, NativeLBPolicy,
    ProxyBufferingPolicy, RateLimitPolicy, RegexRewritePolicy, RetryBudgetPolicy, ServersTransportPolicy,
    ServiceUpstreamPolicy, SessionCookiePolicy, SnippetPolicy, TracingPolicy, UpstreamTimeoutsPolicy, WAFPolicy,
)
from ingress2gw.options import OptionSpec, OptionValues, namespaced_name
from ingress2gw.provider.base import (
    ENTRY_POINT_GROUP, Context, IngressProvider, gateway_path_ok, load_providers, refused_ingress,
)
from ingress2gw.provider.families import load_families
from ingress2gw.provider.numbers import MAX_INT_DIGITS, parse_int
from ingress2gw.provider.registry import (
    FROM_OUTCOME, REPORT_LATER, AnnotationRegistry, AnnotationSpec, AnnotationValue, Deferred, Handler,
)
from ingress2gw.report import Code, ObjectRef, Report, Status
from ingress2gw.source.location import Location
from ingress2gw.source.objects import Backend, Ingress, IngressPath, Inventory, KubeObject, Service, ServicePort

__all__ = [
    "AnnotationRegistry", "AnnotationSpec", "AnnotationValue", "BackendTLS", "CORS", "Code", "Context",
    "ExternalAuth", "HeaderMatch", "HeaderModifier", "IdleTimeout", "Ingress", "IngressDraft", "IngressPath",
    "IngressProvider", "OptionSpec", "OptionValues", "namespaced_name",
    "Deferred", "Dimension", "FROM_OUTCOME", "Intent", "Inventory", "KubeObject", "Location", "REPORT_LATER", "Match", "ObjectRef", "Origin", "PathMatch", "PolicyIntent",
    "Report", "RequestMirror", "RequestRedirect", "Retry", "RuleDraft", "Service", "ServiceBackend",
    "ServicePort", "SessionPersistence", "Status", "StreamRoute", "TLSCert", "Timeouts", "URLRewrite", "Unmapped",
    "controller_order", "gateway_path_ok", "load_families", "load_providers", "MAX_INT_DIGITS", "parse_int",
    # Policy families (one typed class each; ``ingress2gw.model.policies``), and what building one may raise.
    "AccessLogPolicy", "BackendTLSOptionsPolicy", "BandwidthLimitPolicy", "BasicAuthPolicy", "BodySizePolicy",
    "CircuitBreakerPolicy", "ClientBodyBufferPolicy", "ClientCertForwardPolicy", "ClientCertPolicy",
    "CompressionPolicy", "ConnectionLimitPolicy", "EncodedCharactersPolicy", "ErrorPagesPolicy", "ExtAuthPolicy",
    "GlobalAuthOptOutPolicy", "GRPCWebPolicy", "InFlightPolicy", "IPAllowPolicy", "IPDenyPolicy",
    "LoadBalancerPolicy", "NativeLBPolicy", "ProxyBufferingPolicy", "RateLimitPolicy", "RegexRewritePolicy",
    "RetryBudgetPolicy", "ServersTransportPolicy", "ServiceUpstreamPolicy", "SessionCookiePolicy", "SnippetPolicy",
    "TracingPolicy", "UpstreamTimeoutsPolicy", "ValidationError", "WAFPolicy",
]
