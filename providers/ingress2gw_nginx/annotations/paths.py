"""Regex paths and URL rewriting (issue 4).

What the controller does (https://kubernetes.github.io/ingress-nginx/examples/rewrite/):

- ``use-regex: "true"``: the paths of the Ingress are PCRE regexes; the whole host goes into regex mode
  (``ingress2gw_nginx.regex``).
- ``rewrite-target``: each location whose path differs from the target runs ``rewrite "(?i)<path>" <target>
  break``: the WHOLE URI is replaced by the target, ``$1``..``$9`` taken from the path regex, anything not
  captured dropped, the query string kept. The host goes into regex mode too. A target starting with
  ``http://``/``https://`` makes nginx answer a 302 redirect instead.
- ``x-forwarded-prefix``: ``proxy_set_header X-Forwarded-Prefix <value>`` — only on locations that rewrite.

Translation of rewrite-target, per path (a ``$n`` beyond the groups of the path regex is first replaced by
nothing, as nginx expands it; ``$0`` is no capture in nginx, so a target using it is not translated):

- literal target → ``URLRewrite{ReplaceFullPath: target}`` (not ReplacePrefixMatch: nginx drops the tail);
- the prefix-strip idiom ``<literal>(/|$)(.*)`` + ``<P>/$2`` → ``PathPrefix <literal>`` +
  ``URLRewrite{ReplacePrefixMatch: <P>/}`` (case-sensitive now: reported as a caveat);
- any other use of captures → ``RegexRewritePolicy`` (family ``regex-rewrite``) for implementation emitters.

PolicyIntent families defined here:

- ``regex-rewrite``: params ``pattern`` (RE2, case-insensitive, anchored, consuming the whole path: replacing
  its match with the substitution gives nginx's new URI), ``substitution`` (captures as ``\\1``..``\\9``),
  ``nginx_target`` (the annotation value as written). The query string is kept, as nginx does.
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    AnnotationValue, Code, Context, Dimension, HeaderModifier, IngressDraft, RegexRewritePolicy, Report, Status,
    URLRewrite, gateway_path_ok,
)


from ingress2gw_nginx import regex
from ingress2gw_nginx.annotations.redirects import redirect_for_url
from ingress2gw_nginx.registry import REGISTRY
from ingress2gw_nginx.values import parse_bool

PROVIDER = "ingress-nginx"
_IDIOM = re.compile(r"^((?:[A-Za-z0-9_~%/-]|\\\.)*[A-Za-z0-9_~%-]|/?)\(/\|\$\)\(\.\*\)$")
#: nginx's captures are ``$1``..``$9``, one digit each (``$10`` is ``$1`` then ``0``). ``$0`` is not one:
#: ngx_http_script_compile reads it as a variable named ``0``, which fails nginx's configuration test.
_CAPTURE = re.compile(r"\$([1-9])")
_NON_CAPTURE_VAR = re.compile(r"\$(?![1-9])")


def _drop_missing_captures(target: str, groups: int | None) -> str:
    """nginx expands a capture the path regex does not have to nothing (ngx_http_script_copy_capture_code copies
    ``$n`` only when the match has that many groups); RE2 substitutions reject such a reference instead."""
    if groups is None:
        return target
    return _CAPTURE.sub(lambda m: m.group(0) if int(m.group(1)) <= groups else "", target)


@REGISTRY.annotation(
    "use-regex", area="paths", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].matches[].path{type: RegularExpression, value: (?i)^<path>.*}",
    caveat="Every path of the host, from every Ingress, becomes a case-insensitive prefix regex.",
    remediation="Regex matching is implementation-specific in Gateway API: test the routes on your implementation.",
)
def use_regex(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    enabled = parse_bool(value, report)
    common = dict(location=value.loc(value=False), obj=value.origin_ref, provider=PROVIDER, annotation=value.key,
                  value=value.text)
    if not enabled:
        if enabled is False:
            report.add(Code.ANNOTATION_TRANSLATED, **common, detail="false is the default: paths are not regexes "
                       "(unless another Ingress puts the host in regex mode)")
        return
    hosts = list(dict.fromkeys(r.host for r in draft.rules if not r.origin.annotation))
    regex.mark_trigger(draft, value.key, hosts)
    strict = ctx.options.regex_mode == "strict"
    where = ", ".join(h or "*" for h in hosts) or "(none)"
    if strict:
        report.add(Code.ANNOTATION_LOSSY, **common,
                   detail=f"regex mode for host(s) {where}: --regex-mode strict kept plain paths as Exact/PathPrefix "
                          "(the controller matched them as case-insensitive prefix regexes); see the host findings",
                   remedy="Use --regex-mode faithful to reproduce the controller.")
    else:
        report.add(Code.ANNOTATION_TRANSLATED, **common,
                   detail=f"regex mode for host(s) {where}: every path of these hosts on this Gateway became a "
                          "case-insensitive prefix regex, as in the controller; see the host findings")


def _rewrite_for(raw: str, target: str, value: AnnotationValue, ctx: Context):
    """(intent, prefix literal or None) for one path; the intent is None when the target equals the path."""
    if target == raw:
        return None, None
    if target.startswith(("http://", "https://")):
        intent, _ = redirect_for_url(target, 302, value.origin)
        return intent, None
    written, pattern = target, regex.faithful(raw)
    target = _drop_missing_captures(target, regex.capture_count(pattern))
    if "$" not in target:
        return URLRewrite(replace_full_path=target, origin=value.origin), None
    idiom = _IDIOM.match(raw)
    if idiom and target.endswith("/$2") and "$" not in target[:-3] and gateway_path_ok(
            (idiom.group(1).replace("\\.", ".") or "/")):
        literal = idiom.group(1).replace("\\.", ".") or "/"
        return URLRewrite(replace_prefix_match=target[:-2], origin=value.origin,
                          caveat=f"the path now matches {literal} case-sensitively; the controller's "
                                 f"regex also rewrote other letter cases (e.g. {literal.upper()})",
                          caveat_changes=(Dimension.CASE,)), literal
    return RegexRewritePolicy(origin=value.origin, pattern=pattern, substitution=_CAPTURE.sub(r"\\\1", target),
                              nginx_target=written), None


@REGISTRY.annotation(
    "rewrite-target", produces=('URLRewrite', 'regex-rewrite'), area="paths", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].filters[].urlRewrite.path{replaceFullPath | replacePrefixMatch}; regex captures "
            "need an implementation policy",
    caveat="Puts the whole host in regex mode, as use-regex does.",
    remediation="Regex rewrites need an implementation policy: choose an --emitter that has one, or rewrite in "
                "the backend.",
)
def rewrite_target(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    target = value.text.strip()
    common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
    if not target:
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail="empty target: the controller does not rewrite")
        return
    problem = None
    if target.startswith(("http://", "https://")):
        _, problem = redirect_for_url(target, 302, value.origin)
    elif not target.startswith("/"):
        problem = f"target {target!r} is not a path"
    elif "?" in target or "#" in target:
        problem = f"target {target!r} adds query arguments, which URLRewrite cannot"
    elif _NON_CAPTURE_VAR.search(_CAPTURE.sub("", target)):
        problem = f"target {target!r} uses NGINX variables other than $1..$9"
    triggered, prefix_idiom = [], draft.provider_state.setdefault(regex.PREFIX, {})
    for rule in draft.rules:
        if rule.source_path is None or rule.origin.annotation:
            continue
        raw = rule.source_path
        if target == raw:
            continue  # the controller's needsRewrite: no rewrite, and no regex mode from this path
        if rule.host not in triggered:
            triggered.append(rule.host)
        if problem:
            continue
        intent, literal = _rewrite_for(raw, target, value, ctx)
        rule.add(intent)
        if literal is not None:
            prefix_idiom[rule.origin.location] = literal
    regex.mark_trigger(draft, value.key, triggered)
    if problem:
        report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(), **common,
                   detail=f"{problem}; the paths are proxied without the rewrite (they are still regexes)",
                   remedy="Rewrite the path by hand (URLRewrite filter or implementation policy).")
    elif not triggered:
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail="every path of this Ingress equals the target, so the controller neither rewrites nor "
                          "switches to regex mode")


@REGISTRY.annotation(
    "x-forwarded-prefix", produces=('HeaderModifier',), area="paths", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].filters[].requestHeaderModifier.set[X-Forwarded-Prefix] (rules that rewrite)",
)
def x_forwarded_prefix(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    text = value.text
    common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
    rewrite_key = value.key[: len(value.key) - len(value.name)] + "rewrite-target"
    rewriting = [r for r in draft.rules if any(
        i.origin is not None and i.origin.annotation == rewrite_key and isinstance(i, (URLRewrite, RegexRewritePolicy))
        for i in r.intents)]
    if not text.strip():
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(), **common, detail="empty value: no header is set")
        return
    if "$" in text:
        report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(), **common,
                   detail=f"{text!r} uses NGINX variables, which a header modifier cannot fill in",
                   remedy="Set the header in the backend, or with a fixed value.")
        return
    if not rewriting:
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail="the controller only sends X-Forwarded-Prefix on locations that rewrite-target rewrites; "
                          "no path of this Ingress does")
        return
    for rule in rewriting:
        rule.add(HeaderModifier(direction="request", set=(("X-Forwarded-Prefix", text),), origin=value.origin))
