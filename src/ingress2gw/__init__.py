"""ingress2gw: migrate Kubernetes Ingress manifests to the Gateway API."""

__version__ = "0.1.0"

#: Gateway API versions the emitters know (the features per version are in ``ingress2gw.gwapi``).
SUPPORTED_GATEWAY_API_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6")
