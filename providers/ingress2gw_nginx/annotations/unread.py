"""Keys found on ingress-nginx Ingresses that the controller does not read (issue 11).

They change nothing, but each one is reported: an engineer who wrote them expected an effect, and the report
must say that there was none, and what would have had one.

- ``ingress.kubernetes.io/<name>``: the annotation prefix of ingress-nginx before 0.9.0 (2017). Since then the
  controller reads only ``nginx.ingress.kubernetes.io/`` or the prefix given with ``--annotations-prefix``
  (https://kubernetes.github.io/ingress-nginx/user-guide/cli-arguments/). Traefik v1 also read this prefix.
- ``nginx.ingress.kubernetes.io/<name>`` when the controller ran with a custom ``--annotations-prefix``: the
  controller reads only its own prefix, and its admission webhook refuses an Ingress that carries the default
  one ("This deployment has a custom annotation prefix defined", ``CheckIngress``).
- ``kubernetes.io/ingress.allow-http``: the GCE ingress controller's switch for the plain-HTTP forwarding rule.
  ingress-nginx never read it (kubernetes/ingress-nginx#2094): plain HTTP stayed open, redirected to HTTPS on
  hosts with a certificate (``ssl-redirect``) and proxied on the others, whatever the value.
"""

from __future__ import annotations

from ingress2gw.plugin import AnnotationValue, Context, IngressDraft, Report, Status

from ingress2gw_nginx.registry import PREFIX, REGISTRY
from ingress2gw_nginx.values import FALSE, bool_text

PROVIDER = "ingress-nginx"
OLD_PREFIX = "ingress.kubernetes.io/"
ALLOW_HTTP = "kubernetes.io/ingress.allow-http"


def _current(name: str, prefix: str) -> str:
    """What ``<prefix><name>`` is to the controller today."""
    spec = REGISTRY.lookup(name)
    if spec is None or not spec.prefixed:
        return f"{prefix}{name} is not an ingress-nginx annotation either"
    if spec.lifecycle == "removed":
        return f"{prefix}{name} has been removed from ingress-nginx too"
    return f"its current spelling is {prefix}{name}"


def _prefix(ctx: Context) -> str:
    """The prefix the controller reads (its --annotations-prefix)."""
    custom = str(ctx.options.annotations_prefix or "").rstrip("/")
    return custom + "/" if custom else PREFIX


@REGISTRY.annotation(
    OLD_PREFIX + "*", area="legacy", status=Status.IGNORED, prefixed=False, kind="legacy-annotation",
    lifecycle="removed", pattern=r"ingress\.kubernetes\.io/.+",
    caveat="The annotation prefix of ingress-nginx before 0.9.0; later controllers ignore it.",
    remediation="Delete the key, or rename it to nginx.ingress.kubernetes.io/<name> if the behaviour is wanted.",
)
def old_prefix(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    name, prefix = value.key[len(OLD_PREFIX):], _prefix(ctx)
    current = _current(name, prefix)
    also = value.siblings.get(prefix + name)
    detail = (f"{OLD_PREFIX} is the annotation prefix of ingress-nginx before 0.9.0 (2017); later controllers "
              f"read only {PREFIX} (or their --annotations-prefix), so the controller ignored this key and the "
              f"conversion does too; {current}")
    if also is not None and current.startswith("its current spelling"):
        detail += f", which this Ingress also sets ({also!r}) and which the controller used"
    value.no_effect(report, detail,
                    "If the controller runs with --annotations-prefix ingress.kubernetes.io, convert with "
                    "--annotations-prefix ingress.kubernetes.io; otherwise delete the key, or rename it if its behaviour "
                    "is wanted (the migrated routes would then change).")


@REGISTRY.annotation(
    PREFIX + "*", area="legacy", status=Status.IGNORED, prefixed=False, kind="foreign-annotation",
    pattern=r"nginx\.ingress\.kubernetes\.io/.+",
    caveat="Reported when the controller runs with a custom --annotations-prefix, which makes it ignore the "
           "default prefix.",
)
def default_prefix(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    # Reached only when --annotations-prefix names another prefix: keys under the configured one match first.
    custom = str(ctx.options.annotations_prefix or "").rstrip("/")
    name = value.key[len(PREFIX):]
    also = value.siblings.get(f"{custom}/{name}")
    detail = (f"the controller ran with --annotations-prefix {custom}, so it read only {custom}/ keys and ignored "
              f"this one (its admission webhook refuses an Ingress that carries {PREFIX} keys)")
    if also is not None:
        detail += f"; {custom}/{name} ({also!r}) is the key it used"
    value.no_effect(report, detail, f"Delete the key, or rename it to {custom}/{name} if the setting is wanted.")


@REGISTRY.annotation(
    ALLOW_HTTP, area="tls", status=Status.IGNORED, prefixed=False, kind="foreign-annotation",
    caveat="A GCE ingress controller annotation: ingress-nginx never read it, and served plain HTTP whatever it "
           "said (redirected to HTTPS on hosts with a certificate, unless ssl-redirect is false).",
    remediation="To refuse plain HTTP on the Gateway, remove its HTTP listener or keep only the HTTPS redirect on it.",
)
def allow_http(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    served = (f"plain HTTP requests for this Ingress's paths were {_plain_http(value, ctx)}, and the routes on the "
              "Gateway's HTTP listener do the same")
    if value.text.strip() in FALSE:
        detail = (f"ingress-nginx never read {ALLOW_HTTP} (only the GCE ingress controller does), so \"false\" did "
                  f"not close plain HTTP: {served}")
        remedy = ("If plain HTTP must be refused, remove the Gateway's HTTP listener (or keep only the HTTPS "
                  "redirect on it, as force-ssl-redirect does); the controller never refused it.")
    else:
        detail = f"ingress-nginx never read {ALLOW_HTTP} (only the GCE ingress controller does); {served}"
        remedy = "Nothing to do; delete the key."
    value.no_effect(report, detail, remedy)


def _plain_http(value: AnnotationValue, ctx: Context) -> str:
    """What the controller did with plain HTTP for this Ingress (its own redirect annotations, else the ConfigMap)."""
    prefix = _prefix(ctx)
    if bool_text(value.siblings.get(prefix + "force-ssl-redirect")):
        return "redirected to HTTPS on every host (force-ssl-redirect)"
    ssl = bool_text(value.siblings.get(prefix + "ssl-redirect"))
    if ssl is None:
        ssl = bool(ctx.settings.get("ssl-redirect", True))
    if ssl:
        return "redirected to HTTPS on hosts with a certificate in spec.tls (ssl-redirect) and proxied on the others"
    return "proxied to the backends (ssl-redirect is off)"


REGISTRY.declare_foreign(
    "traefik.ingress.kubernetes.io",
    reason="A Traefik annotation on an Ingress that ingress-nginx serves: the controller ignored it, and so does "
           "the conversion.",
    remediation="Delete the key, or rebuild its behaviour with an ingress-nginx annotation.",
)
