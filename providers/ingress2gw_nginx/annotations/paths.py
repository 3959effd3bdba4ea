"""Regex paths and URL rewriting (issue 4).

What the controller does (https://kubernetes.github.io/ingress-nginx/examples/rewrite/):

- ``use-regex: "true"``: the paths of the Ingress are PCRE regexes; the whole host goes into regex mode
  (``ingress2gw_nginx.regex``).
- ``rewrite-target``: each location whose path differs from the target runs ``rewrite "(?i)<path>" <target>
  break``: the WHOLE URI is replaced by the target, ``$1``..``$9`` taken from the path regex, anything not
  captured dropped, the query string kept. The host goes into regex mode too. A target starting with
  ``http://``, ``https://`` or ``$scheme`` makes nginx answer a 302 redirect instead (the query appended).
  The comparison is with the location's path *as normalized* (template.go ``needsRewrite``): a Prefix (or
  ImplementationSpecific) ``/p`` whose target is ``/p`` is the location ``/p/`` plus its exact clone ``= /p``
  (location.go ``updateServerLocations`` compared before normalizing), so ``/p/...`` is rewritten to ``/p``
  and the host is in regex mode; only the clone is left alone (``regex.SLASH`` records such paths).
- The root location the controller makes for a host carries the annotations of the oldest Ingress naming it:
  its rewrite-target (compared with ``/``) rewrites or redirects every request no path matches, and puts the
  host in regex mode (``regex.ROOT`` records what the root inherits; ``regex.apply_regex_mode`` and the
  provider's ``place_default_backends`` use it).
- ``x-forwarded-prefix``: ``proxy_set_header X-Forwarded-Prefix <value>`` — only on locations that rewrite.

Translation of rewrite-target, per path (a ``$n`` beyond the groups of the path regex is first replaced by
nothing, as nginx expands it; ``$0`` is no capture in nginx, so a target using it is not translated):

- literal target → ``URLRewrite{ReplaceFullPath: target}`` (not ReplacePrefixMatch: nginx drops the tail);
- the prefix-strip idiom ``<literal>(/|$)(.*)`` + ``<P>/$2`` → ``PathPrefix <literal>`` +
  ``URLRewrite{ReplacePrefixMatch: <P>/}`` (case-sensitive now: reported as a caveat);
- a capture of the rest after a literal directory, ``<literal>/(.*)`` or ``<literal>/(.+)`` + ``<P>/$1``, the same
  way; the caveat also says which requests now match that did not (``<literal>`` without its slash, and
  ``<literal>/`` for ``(.+)``);
- any other use of captures → ``RegexRewritePolicy`` (family ``regex-rewrite``) for implementation emitters.

PolicyIntent families defined here:

- ``regex-rewrite``: params ``pattern`` (RE2, case-insensitive, anchored, consuming the whole path: replacing
  its match with the substitution gives nginx's new URI), ``substitution`` (captures as ``\\1``..``\\9``),
  ``nginx_target`` (the annotation value as written). The query string is kept, as nginx does.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ingress2gw.plugin import (
    REPORT_LATER, AnnotationValue, Code, Context, Dimension, HeaderModifier, IngressDraft, Origin, RegexRewritePolicy,
    Report, RequestRedirect, Status, URLRewrite, gateway_path_ok,
)


from ingress2gw_nginx import regex
from ingress2gw_nginx.annotations.redirects import redirect_for_url
from ingress2gw_nginx.registry import REGISTRY
from ingress2gw_nginx.values import bool_text, parse_bool, sibling

PROVIDER = "ingress-nginx"
_IDIOM = re.compile(r"^((?:[A-Za-z0-9_~%/-]|\\\.)*[A-Za-z0-9_~%-]|/?)\(/\|\$\)\(\.\*\)$")
#: A capture of the rest after a literal directory: ``<literal>/(.*)`` or ``<literal>/(.+)`` (with ``<P>/$1``).
_REST = re.compile(r"^((?:[A-Za-z0-9_~%/-]|\\\.)*[A-Za-z0-9_~%-])/\((\.\*|\.\+)\)$")
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
    # location.go: the paths of an Ingress with use-regex are not normalized (no /p/ location, no clone), and
    # the root location of a host the Ingress creates carries use-regex too.
    draft.provider_state.setdefault(regex.VERBATIM, set()).update(
        r.origin.location for r in draft.rules if not r.origin.annotation)
    draft.provider_state.setdefault(regex.ROOT, {}).setdefault("regex", value.key)
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


def is_url_target(target: str) -> bool:
    """nginx's rewrite answers a redirect (302) when the replacement starts with one of these (ngx_http_rewrite)."""
    return target.startswith(("http://", "https://", "$scheme"))


def url_redirect(target: str, raw: str, origin: Origin) -> tuple[RequestRedirect | None, str]:
    """``rewrite "(?i)<raw>" <target> break`` with a URL target, for one location path ``raw``: nginx answers 302
    to the target, ``$n`` expanded from the path regex (a group it lacks expands to nothing), the request's
    query appended. As a RequestRedirect (which keeps the query), or (None, why not)."""
    url = _drop_missing_captures(target, regex.capture_count(regex.faithful(raw)))
    keep_scheme = url.startswith("$scheme")
    if keep_scheme:
        if not url.startswith("$scheme://"):
            return None, f"{target!r} is not $scheme:// followed by a host"
        url = "http" + url[len("$scheme"):]
    if _CAPTURE.search(url):
        return None, (f"{target!r} takes captures of the path regex {raw!r} into the redirect; RequestRedirect "
                      "cannot fill them in")
    if "$request_uri" in url:
        return None, f"{target!r} uses $request_uri, to which nginx's rewrite appends the query again"
    intent, why = redirect_for_url(url, 302, origin)
    if intent is None:
        return None, why.replace(repr(url), repr(target))
    if keep_scheme:
        # $scheme: the request's own scheme, which a RequestRedirect without scheme keeps (with the listener's
        # port, unless the URL names one: that one is kept even where it is the scheme's default).
        written = urlsplit(url.replace("$http_host", "h.invalid").replace("$host", "h.invalid")).port
        intent = intent.model_copy(update={"scheme": None, "port": written})
    return intent, ""


def _other_case(literal: str) -> str:
    """The literal in another letter case (lower case when it has capitals), for the example of what the
    controller's case-insensitive location also matched."""
    return literal.lower() if literal != literal.lower() else literal.upper()


def _upper_literal(literal: str) -> str:
    """What changes for the requests clients usually send when the literal has capitals: the lower-case path no
    longer matches this rule at all."""
    if literal == literal.lower():
        return ""
    return (f"; in particular {literal.lower()} (and everything below it) no longer reaches this backend: another "
            "rule of the host, or the default backend, answers it, where the controller's case-insensitive location "
            "matched it")


def _case_changes(literal: str) -> tuple[Dimension, ...]:
    return (Dimension.CASE,) if literal == literal.lower() else (Dimension.ROUTE, Dimension.CASE)


def _rewrite_for(raw: str, target: str, value: AnnotationValue, ctx: Context):
    """(intent, prefix literal or None) for one path; the intent is None when the target equals the path."""
    if target == raw:
        return None, None
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
                                 f"regex also rewrote other letter cases (e.g. {_other_case(literal)})"
                                 + _upper_literal(literal),
                          caveat_changes=_case_changes(literal)), literal
    rest = _REST.match(raw)
    if rest and target.endswith("/$1") and "$" not in target[:-3] and gateway_path_ok(
            rest.group(1).replace("\\.", ".")):
        # rewrite "(?i)<literal>/(.*)" <P>/$1 on the location ~* "^<literal>/(.*)": the rest after the literal's
        # directory goes after <P>/, which is what ReplacePrefixMatch does on PathPrefix <literal>.
        literal = rest.group(1).replace("\\.", ".")
        also = (f"{literal} (without the trailing slash)" + (f" and {literal}/ (nothing after it)"
                                                             if rest.group(2) == ".+" else ""))
        return URLRewrite(replace_prefix_match=target[:-2], origin=value.origin,
                          caveat=f"PathPrefix {literal} now also matches {also}, rewritten to {target[:-2]} for "
                                 f"this backend, where the controller's location ~* \"^{raw}\" did not match "
                                 f"(another path or the default backend answered); and it matches "
                                 f"case-sensitively, where the controller also rewrote other letter cases (e.g. "
                                 f"{_other_case(literal)}/x)" + _upper_literal(literal),
                          caveat_changes=(Dimension.ROUTE, Dimension.CASE)), literal
    return RegexRewritePolicy(origin=value.origin, pattern=pattern, substitution=_CAPTURE.sub(r"\\\1", target),
                              nginx_target=written), None


def normalized_slash(raw: str, path_type: str, target: str, use_regex: bool) -> bool:
    """Whether the controller normalized this path to the location ``<raw>/`` whose rewrite-target ``target``
    then differs from it: a Prefix (ImplementationSpecific is Prefix) path without trailing ``/`` equal to the
    target, on an Ingress without use-regex (location.go leaves paths with use-regex or a differing target as
    they are)."""
    return (target == raw and path_type != "Exact" and raw != "/" and not raw.endswith("/") and not use_regex)


@REGISTRY.annotation(
    "rewrite-target", produces=('URLRewrite', 'regex-rewrite'), area="paths", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].filters[].urlRewrite.path{replaceFullPath | replacePrefixMatch}; regex captures "
            "need an implementation policy",
    caveat="Puts the whole host in regex mode, as use-regex does.",
    remediation="Regex rewrites need an implementation policy: choose an --emitter that has one, or rewrite in "
                "the backend.",
)
def rewrite_target(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report):
    target = value.text.strip()
    common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
    if not target:
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail="empty target: the controller does not rewrite")
        return None
    use_regex = bool(bool_text(sibling(value, "use-regex")))
    url = is_url_target(target)
    problem = None  # a URL target: per path, by the captures its regex has (url_redirect)
    if not url:
        if not target.startswith("/"):
            problem = f"target {target!r} is not a path"
        elif "?" in target or "#" in target:
            problem = f"target {target!r} adds query arguments, which URLRewrite cannot"
        elif _NON_CAPTURE_VAR.search(_CAPTURE.sub("", target)):
            problem = f"target {target!r} uses NGINX variables other than $1..$9"
    triggered, prefix_idiom = [], draft.provider_state.setdefault(regex.PREFIX, {})
    verbatim = draft.provider_state.setdefault(regex.VERBATIM, set())
    url_problems: list[str] = []
    for rule in draft.rules:
        if rule.source_path is None or rule.origin.annotation:
            continue
        raw = rule.source_path
        slash = normalized_slash(raw, rule.source_path_type, target, use_regex)
        if target == raw and not slash:
            continue  # the controller's needsRewrite: no rewrite, and no regex mode from this path
        if not slash:
            verbatim.add(rule.origin.location)  # location.go: not normalized (no /p/ location, no clone)
        if rule.host not in triggered:
            triggered.append(rule.host)
        if url:
            intent, why = url_redirect(target, raw, value.origin)
            if intent is None:
                if why not in url_problems:
                    url_problems.append(why)
                continue
            rule.add(intent)
            continue
        if problem:
            continue
        if slash:
            # The location /p/ rewrites to /p (the whole URI); its exact clone = /p is proxied as is: the
            # regex pass splits the rule.
            rule.add(URLRewrite(replace_full_path=target, origin=value.origin))
            draft.provider_state.setdefault(regex.SLASH, {})[rule.origin.location] = raw
            continue
        intent, literal = _rewrite_for(raw, target, value, ctx)
        rule.add(intent)
        if literal is not None:
            prefix_idiom[rule.origin.location] = literal
    regex.mark_trigger(draft, value.key, triggered)
    _root_location(value, target, url, problem, draft)
    if url_problems:
        report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(), **common,
                   detail=f"the controller answered the paths of this Ingress with a 302 redirect to {target!r} "
                          f"(the query appended); {'; '.join(url_problems)}: the paths without a redirect are "
                          "proxied instead (they are still regexes)",
                   remedy="Write the redirect by hand (RequestRedirect filter) or answer it in the backend.",
                   dimensions=frozenset({Dimension.REDIRECT, Dimension.ROUTE}))
    elif problem:
        report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(), **common,
                   detail=f"{problem}; the paths are proxied without the rewrite (they are still regexes)",
                   remedy="Rewrite the path by hand (URLRewrite filter or implementation policy).")
    elif not triggered:
        # Whether the root location the controller makes for a host of this Ingress carries the target (this
        # Ingress is the oldest naming the host) is known once every Ingress is read: regex.apply_regex_mode
        # reports it.
        draft.provider_state[regex.ROOT_PENDING] = value
        return REPORT_LATER
    return None


def _root_location(value: AnnotationValue, target: str, url: bool, problem: str | None,
                   draft: IngressDraft) -> None:
    """What the root location ``/`` the controller makes for a host this Ingress creates inherits from the
    rewrite-target: ``rewrite "(?i)/" <target> break`` (the regex ``/`` has no group: every ``$n`` is empty)."""
    if target == "/":
        return
    state = draft.provider_state.setdefault(regex.ROOT, {})
    state["regex"] = value.key  # needsRewrite("/"): the target differs from the root's path
    if url:
        intent, _ = url_redirect(target, "/", value.origin)
    elif problem:
        intent = None
    else:
        intent = URLRewrite(replace_full_path=_drop_missing_captures(target, 0), origin=value.origin)
    if intent is not None:
        state["rewrite"] = intent


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
    root = draft.provider_state.get(regex.ROOT, {})
    if isinstance(root.get("rewrite"), URLRewrite):
        # The root location the controller makes for a host of this Ingress rewrites too (and sends the header).
        root["headers"] = HeaderModifier(direction="request", set=(("X-Forwarded-Prefix", text),),
                                         origin=value.origin)
    if not rewriting:
        if "headers" in root:
            return  # only the root location sends it (with a default backend): the generic finding
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail="the controller only sends X-Forwarded-Prefix on locations that rewrite-target rewrites; "
                          "no path of this Ingress does")
        return
    for rule in rewriting:
        rule.add(HeaderModifier(direction="request", set=(("X-Forwarded-Prefix", text),), origin=value.origin))
