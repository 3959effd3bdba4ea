"""Keys found on Traefik Ingresses that Traefik does not read (issue 11).

They change nothing, but each one is reported: whoever wrote them expected an effect.

- ``kubernetes.io/ingress.allow-http``: the GCE ingress controller's switch for the plain-HTTP forwarding rule.
  Traefik never read it; which entry points served an Ingress's routers was decided by ``router.entrypoints``
  and ``router.tls`` (and the static configuration's redirections), whatever the value.
- ``nginx.ingress.kubernetes.io/<name>``: ingress-nginx's annotations, left on an Ingress that Traefik serves.
"""

from ingress2gw.plugin import AnnotationValue, Context, IngressDraft, Report, Status

from ingress2gw_traefik.registry import REGISTRY

ALLOW_HTTP = "kubernetes.io/ingress.allow-http"


@REGISTRY.annotation(
    ALLOW_HTTP, area="tls", status=Status.IGNORED, prefixed=False, kind="foreign-annotation",
    caveat="A GCE ingress controller annotation: Traefik never read it; router.entrypoints and router.tls decided "
           "whether plain HTTP was served.",
)
def allow_http(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    closed = value.text.strip().lower() in ("false", "0", "f")
    detail = (f"Traefik never read {ALLOW_HTTP} (only the GCE ingress controller does)"
              + (", so \"false\" did not close plain HTTP" if closed else "")
              + ": the routers of this Ingress answered on the entry points router.entrypoints and router.tls "
                "chose (all of them by default, the web entry point included), and the generated routes attach to "
                "the same listeners")
    remedy = ("If plain HTTP must be refused, set router.entrypoints to the TLS entry point before converting, or "
              "remove the Gateway's HTTP listener." if closed else "Nothing to do; delete the key.")
    value.no_effect(report, detail, remedy=remedy)


REGISTRY.declare_foreign(
    "nginx.ingress.kubernetes.io",
    reason="An ingress-nginx annotation on an Ingress that Traefik serves: Traefik ignored it, and so does the "
           "conversion.",
    remediation="Delete the key, or rebuild its behaviour with a Traefik router annotation or Middleware.",
)
