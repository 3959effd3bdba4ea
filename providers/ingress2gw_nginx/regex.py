"""Regex mode: ``use-regex`` or ``rewrite-target`` on any Ingress of a host turns every path of that host
into a case-insensitive, start-anchored regex (issue 4). Until then no regex is produced.
"""

from ingress2gw.plugin import Context, IngressDraft, Report


def apply_regex_mode(drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
    return None
