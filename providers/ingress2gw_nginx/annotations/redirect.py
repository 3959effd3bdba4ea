"""HTTP → HTTPS redirection.

ingress-nginx redirects plain HTTP to HTTPS for every location of a server that has a certificate
(any Ingress listing the host in spec.tls), with the ConfigMap ``http-redirect-code`` (308 by default);
``ssl-redirect: "false"`` turns it off for the locations of one Ingress.
https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#server-side-https-enforcement-through-redirect
"""

from ingress2gw.plugin import AnnotationValue, Code, Context, IngressDraft, Report, Status

from ingress2gw_nginx.registry import REGISTRY


def parse_bool(value: AnnotationValue, report: Report, provider: str = "ingress-nginx") -> bool | None:
    """nginx parses booleans with Go's strconv.ParseBool; anything else is ignored (default kept)."""
    text = value.text.strip()
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider=provider,
               annotation=value.key, value=value.text,
               detail=f"expected true or false, got {value.text!r}; the controller kept its default")
    return None


@REGISTRY.annotation(
    "ssl-redirect", area="redirect", status=Status.TRANSLATED,
    maps_to="HTTPRoute on the HTTP listener: RequestRedirect{scheme: https} per rule",
    caveat="Rules of this Ingress are served on plain HTTP too, instead of being redirected to HTTPS.",
)
def ssl_redirect(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    enabled = parse_bool(value, report)
    if enabled is None:
        return
    for rule in draft.rules:
        rule.ssl_redirect = enabled
    draft.ssl_redirect = enabled
