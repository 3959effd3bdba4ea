"""The controller ConfigMap: global defaults the translation assumes.

https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/
"""

from ingress2gw.plugin import Context, Report

#: ConfigMap keys the translation reads, with the controller's defaults.
DEFAULTS = {
    "ssl-redirect": "true",
    "http-redirect-code": "308",
}


def configure(ctx: Context, report: Report) -> None:
    ctx.settings.setdefault("ssl-redirect", True)
    ctx.settings.setdefault("http-redirect-code", 308)
    report.assumptions.setdefault("ingress-nginx", [
        "ssl-redirect=true (HTTP is redirected to HTTPS for hosts with TLS)",
        "http-redirect-code=308",
    ])
