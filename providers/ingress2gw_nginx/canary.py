"""Canary Ingresses (``canary: "true"``) attach to the host+path of a main Ingress.

Not translated yet: canary annotations are declared unsupported in the registry until this pass
merges them (issue 4).
"""

from ingress2gw.plugin import Context, IngressDraft, Report


def merge_canaries(drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
    return None
