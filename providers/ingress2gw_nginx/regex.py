"""Regex mode: ``use-regex`` or ``rewrite-target`` on any Ingress of a host turns every path of that host
into a case-insensitive, start-anchored regex (issue 4).

What the controller does (nginx.tmpl ``enforceRegexModifier`` / ``buildLocation``): when any location of a
server (one host of one ingress class) has ``use-regex: "true"`` or a rewrite-target different from its
path, EVERY location of that server, from every Ingress, is written ``location ~* "^<path>"``: PCRE,
case-insensitive, anchored at the start only, the path used as written (never escaped). ``Exact /foo``
then matches ``/FOO/bar``. Locations are sorted longest path first and the first regex that matches wins.
Without either annotation no regex location exists.
https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/

``ctx.options.regex_mode``:

- ``faithful`` (default): every path of such a host becomes a RegularExpression match that reproduces the
  location: ``(?i)^<path>.*`` (``.*`` because Envoy-based implementations match the whole path). Paths with
  PCRE-only constructs (look-around, back-references, possessive or atomic groups) are reported as
  ``path.invalid`` and left out: Gateway API implementations use RE2 or close dialects.
- ``strict``: paths without regex metacharacters (``.`` is read as a literal dot) keep their Exact/PathPrefix
  match, and the difference (case, prefix matching) is reported; the others are regexes as in faithful.

Gateway API gives RegularExpression matches an implementation-specific precedence, while nginx tries them
longest first: overlapping regex paths with different outcomes are reported per host.

Regex mode keeps the controller's normalization (location.go ``updateServerLocations``) and its order (longest
Ingress path first, then path descending, then the root location, then Ingress age): a Prefix ``/foo`` of an
Ingress without use-regex or a differing rewrite-target is ``^/foo/`` followed by its exact clone ``^/foo``
(none when an Exact ``/foo`` exists on the host), and of equal paths the first one written ``^/foo`` takes
every request the later ones would match. So:

- ``^/foo/`` + ``^/foo`` is ``(?i)^/foo.*`` (one rule); without the clone (an Exact ``/foo`` exists, and comes
  later) the Prefix is ``(?i)^/foo/.*``;
- a rewrite-target equal to such a path rewrites ``^/foo/`` only (``paths.normalized_slash``): the rule becomes
  ``(?i)^/foo/.*`` with the rewrite, and the clone a rule of its own without it, ``(?i)^/foo(?:[^/].*)?``
  (what ``^/foo`` still matches after ``^/foo/``, so that no implementation's regex order matters);
- an Exact ``/`` is ``^/``, after the root location ``^/`` the controller makes for every host: never used,
  left out (``route.conflict``).

The root location of a host carries the annotations of the oldest Ingress naming it (unless a Prefix ``/``
path replaces it): its use-regex, or a rewrite-target other than ``/``, puts the host in regex mode too
(``ROOT``, from the handlers), even when no path of that Ingress would.

Also here, because it needs the same host-wide view: the 301 nginx sends for a URI equal to a location ending in
``/`` without it (``location /foo/`` or ``location = /foo/`` answers ``/foo`` with ``301 /foo/``: NGINX's
auto_redirect), unless an exact location ``= /foo`` exists on the server (a ``Prefix /foo`` path creates one).

Paths that are not Gateway API paths (``/api(/|$)(.*)``) reach this pass as RegularExpression placeholders
holding the raw path (the provider's path hook); ``settle_paths`` reports those whose host is not in regex
mode as ``path.invalid``, and reports the character-prefix ImplementationSpecific paths that regex mode did
not reproduce (outside regex mode the controller reads ImplementationSpecific as Prefix: internal/k8s
``SetDefaultNGINXPathType``, so a PathPrefix is exact there).
"""

from __future__ import annotations

import re

from dataclasses import replace

from ingress2gw.plugin import (
    Code, Context, HeaderModifier, IngressDraft, Match, ObjectRef, PathMatch, Report, RequestRedirect, RuleDraft,
    URLRewrite, controller_order, gateway_path_ok,
)

try:  # RE2 is what most Gateway implementations use; its bindings come with cel-python.
    import re2 as _re2
except ImportError:  # pragma: no cover - the scan below still catches the PCRE-only constructs
    _re2 = None

PROVIDER = "ingress-nginx"
#: provider_state keys: hosts a draft puts in regex mode, and rules the rewrite handler settled as PathPrefix.
TRIGGER = "nginx.regex"
PREFIX = "nginx.prefix-idiom"
#: ... the paths the controller does not normalize (use-regex, or a rewrite-target differing from the path), by
#: origin location; the paths whose normalized location ``<p>/`` rewrites to ``<p>`` (origin location → path);
#: what the root location of a host the Ingress creates inherits (``regex``: the annotation key that puts the
#: host in regex mode; ``rewrite``: the rewrite-target's URLRewrite or RequestRedirect; ``headers``: its
#: X-Forwarded-Prefix); a rewrite-target whose finding waits for the root locations.
VERBATIM = "nginx.verbatim"
SLASH = "nginx.slash-rewrite"
ROOT = "nginx.root"
ROOT_PENDING = "nginx.root-pending"
REGEX_INFO = Code.PATH_REGEX_MODE
REGEX_LOSSY = Code.PATH_REGEX_STRICT
SLASH_INFO = Code.PATH_TRAILING_SLASH_REDIRECT

_META = set("^$*+?()[]{}|\\")  # "." is a regex metacharacter too, but strict mode reads it literally
_PCRE_ONLY = (("(?=", "look-ahead"), ("(?!", "negative look-ahead"), ("(?<=", "look-behind"),
              ("(?<!", "negative look-behind"), ("(?>", "atomic group"), ("(?|", "branch reset"),
              ("(?R", "recursion"), ("(?&", "subroutine call"), ("\\K", "match reset \\K"), ("\\G", "\\G anchor"))
_POSSESSIVE = re.compile(r"(?<!\\)[*+?}]\+")
_BACKREF = re.compile(r"(?<!\\)(?:\\\\)*\\[1-9]")


# --- regex text --------------------------------------------------------------------------------


def top_level_bars(pattern: str) -> list[int]:
    """Positions of ``|`` outside groups and character classes."""
    bars, depth, i, in_class = [], 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
        elif c == "|" and depth == 0:
            bars.append(i)
        i += 1
    return bars


def re2_problem(pattern: str) -> str | None:
    """Why RE2 (and so most Gateway API implementations) cannot load ``pattern``; None when it can."""
    for token, name in _PCRE_ONLY:
        if token in pattern:
            return f"PCRE {name} ({token})"
    if _POSSESSIVE.search(pattern):
        return "PCRE possessive quantifier"
    if _BACKREF.search(pattern):
        return "back-reference"
    if _re2 is not None:
        try:
            _re2.compile(pattern)
        except Exception as ex:  # re2.error; the message names the construct
            return f"not valid RE2 ({ex})"
    else:
        try:
            re.compile(pattern)
        except re.error as ex:
            return f"not a valid regex ({ex})"
    return None


def capture_count(pattern: str) -> int | None:
    """How many capturing groups ``pattern`` has (None when it cannot be read: its path is reported anyway)."""
    for compile_ in ((_re2.compile,) if _re2 is not None else ()) + (re.compile,):
        try:
            return compile_(pattern).groups
        except Exception:  # re2.error / re.error: try the next reader
            continue
    return None


def faithful(raw: str) -> str:
    """nginx's ``~* "^<raw>"`` as a whole-path RE2 match."""
    bars = top_level_bars(raw)
    if bars:
        # "^a|b": nginx anchors only the first alternative; the others match anywhere.
        alts = [raw[s + 1 if k else 0:e] for k, (s, e) in enumerate(zip([-1] + bars, bars + [len(raw)]))]
        body = "(?:" + "|".join([alts[0]] + [".*" + a for a in alts[1:]]) + ")"
    else:
        body = raw
    tail = "" if body.endswith(".*") and not body.endswith("\\.*") else ".*"
    return f"(?i)^{body}{tail}"


def has_meta(raw: str) -> bool:
    return any(c in _META for c in raw)


def matches_root(pattern: str) -> bool:
    """Whether a path regex (nginx's, start-anchored) matches the URI ``/``."""
    try:
        return re.match(pattern if pattern.startswith("(?i)") else "(?i)" + pattern, "/") is not None
    except re.error:
        return False


def literal_head(raw: str) -> str:
    """The literal part of a regex path before its first metacharacter (lower case), for overlap checks."""
    out = []
    for c in raw:
        if c in _META or c == ".":
            break
        out.append(c)
    return "".join(out).lower()


# --- source paths --------------------------------------------------------------------------------


def _host(h: str | None) -> str | None:
    return h.strip().lower().rstrip(".") if h else None


def mark_trigger(draft: IngressDraft, key: str, hosts) -> None:
    state = draft.provider_state.setdefault(TRIGGER, {"keys": [], "hosts": []})
    if key not in state["keys"]:
        state["keys"].append(key)
    for h in hosts:
        if h not in state["hosts"]:
            state["hosts"].append(h)


# --- the pass ------------------------------------------------------------------------------------


def _ref(d: IngressDraft) -> ObjectRef:
    return ObjectRef("Ingress", d.origin.namespace, d.origin.name)


def _outcome(rule: RuleDraft) -> tuple:
    return (tuple(rule.backends),
            tuple((type(i).__name__, repr(i.model_dump(exclude={"origin", "caveat"}))) for i in rule.intents))


def _listed(items: list[str], limit: int = 6) -> str:
    return ", ".join(items[:limit]) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def apply_regex_mode(drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
    mode = ctx.options.regex_mode
    _root_triggers(drafts, report)
    triggers: dict[tuple, list[tuple[IngressDraft, str]]] = {}
    for d in drafts:
        state = d.provider_state.get(TRIGGER)
        for h in (state or {}).get("hosts", []):
            triggers.setdefault((d.gateway, h), []).append((d, state["keys"][0]))
    if triggers:
        _regex_hosts(drafts, triggers, mode, ctx, report)
    _trailing_slash_redirects(drafts, set(triggers), ctx, report)


def _root_triggers(drafts: list[IngressDraft], report: Report) -> None:
    """createServers: the root location ``/`` of a host carries the annotations of the oldest Ingress naming it,
    unless a Prefix ``/`` path replaces it (then that path's own annotations, which its handlers saw). Its
    use-regex, or a rewrite-target other than ``/`` (needsRewrite), puts the host in regex mode."""
    explicit = {(d.gateway, r.host) for d in drafts for r in d.rules
                if r.source_path == "/" and r.source_path_type != "Exact" and not r.origin.annotation
                and not r.is_default_backend}
    owners: dict[tuple, IngressDraft] = {}
    for d in sorted(drafts, key=controller_order):
        for h in d.hosts:
            if h is not None:
                owners.setdefault((d.gateway, h), d)
    rooted: dict[int, list[str]] = {}
    for key, d in owners.items():
        trigger = d.provider_state.get(ROOT, {}).get("regex")
        if key in explicit or not trigger:
            continue
        mark_trigger(d, trigger, [key[1]])
        rooted.setdefault(id(d), []).append(key[1])
    for d in drafts:
        value = d.provider_state.pop(ROOT_PENDING, None)
        if value is None:
            continue
        common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
        hosts = rooted.get(id(d))
        if not hosts:
            report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                       detail="every path of this Ingress is its own location after the controller's normalization "
                              "(Exact, or ending in /) and equals the target, and no host's root location carries "
                              "the annotation (another Ingress created the hosts, or a Prefix / path replaced the "
                              "root): the controller neither rewrites nor switches to regex mode")
            continue
        rewrite = d.provider_state.get(ROOT, {}).get("rewrite")
        what = ("redirects every request no path matches" if isinstance(rewrite, RequestRedirect) else
                "cannot reproduce the rewrite there (see the other findings)" if rewrite is None else
                "rewrites every request no path matches for the default backend" if d.default_backend is not None
                else "answers every request no path matches with the controller's 404, as before")
        report.add(Code.ANNOTATION_TRANSLATED, location=value.loc(value=False), **common,
                   detail=f"no path of this Ingress differs from the target, but the root location the controller "
                          f"made for {', '.join(hosts)} (this Ingress is the oldest naming it) carries it: the "
                          f"host is in regex mode (see the path.regex-mode finding), and the root location {what}")


def _plan(drafts: list[IngressDraft], hosts_of: dict[str, set]) -> dict[tuple, str]:
    """How each path location of a regex host is written (key: gateway, host, origin location): ``full``
    (``^<p>``), ``slash`` (``^<p>/`` only), ``split`` (``^<p>/`` and a rule for the clone), ``root-shadowed``.

    Equal Ingress paths keep the controller's insertion order (Ingress age, then path order): the first one
    written ``^<p>`` shadows the later ones, which keep the same regex so that the merge reports the conflict;
    a second path of the same type is ignored by the controller and mirrors the first."""
    groups: dict[tuple, list[tuple[tuple, str, bool]]] = {}
    for d in sorted(drafts, key=controller_order):
        on = hosts_of.get(d.gateway, set())
        verbatim, slash = d.provider_state.get(VERBATIM, set()), d.provider_state.get(SLASH, {})
        seen: set = set()
        for rule in d.rules:
            if rule.host not in on or rule.origin.annotation or rule.is_default_backend or rule.source_path is None:
                continue
            loc = (d.gateway, rule.host, rule.origin.location)
            if loc in seen:
                continue  # a copy of the same location (canary header rules)
            seen.add(loc)
            raw = rule.source_path
            kind = ("exact" if rule.source_path_type == "Exact" else
                    "verbatim" if rule.origin.location in verbatim or raw == "/" else "normalized")
            groups.setdefault((d.gateway, rule.host, raw), []).append((loc, kind, rule.origin.location in slash))
    plan: dict[tuple, str] = {}
    for (_, _, raw), entries in groups.items():
        has_exact = any(kind == "exact" for _, kind, _ in entries)
        first: dict[str, tuple] = {}
        full_seen = False
        for loc, kind, slash in entries:
            ptype = "Exact" if kind == "exact" else "Prefix"
            if ptype in first:
                plan[loc] = plan[first[ptype]]
                continue
            first[ptype] = loc
            if kind == "exact" and raw == "/":
                plan[loc] = "root-shadowed"
            elif kind == "normalized" and not raw.endswith("/") and not full_seen and (has_exact or slash):
                plan[loc] = "slash" if has_exact else "split"
                full_seen = full_seen or not has_exact
            else:
                plan[loc] = "full"
                full_seen = True
    return plan


def clone_regex(raw: str) -> str:
    """What the exact clone ``^<raw>`` still matches after ``^<raw>/`` (right before it): ``<raw>`` not followed
    by ``/``. Exclusive only for a path of fixed length; otherwise the clone's own regex."""
    if has_meta(raw):
        return faithful(raw)
    return f"(?i)^{raw}(?:[^/].*)?"


def _clone(rule: RuleDraft, path: PathMatch) -> RuleDraft:
    """The rule of a location's exact clone, whose path equals the target: the same location without the
    rewrite, so without X-Forwarded-Prefix either (sent only where nginx rewrites)."""
    def rewrite_bound(i) -> bool:
        name = (i.origin.annotation if i.origin is not None else "") or ""
        return (isinstance(i, URLRewrite) and name.endswith("rewrite-target")
                or isinstance(i, HeaderModifier) and name.endswith("x-forwarded-prefix"))
    return replace(rule, match=Match(path=path, headers=rule.match.headers), backends=list(rule.backends),
                   intents=[i for i in rule.intents if not rewrite_bound(i)],
                   https_intents=list(rule.https_intents), unmapped=list(rule.unmapped))


def _regex_hosts(drafts, triggers, mode, ctx, report) -> None:
    order: dict[tuple, list[tuple[str, RuleDraft]]] = {}
    hosts_of: dict[str, set] = {}
    for gw, h in triggers:
        hosts_of.setdefault(gw, set()).add(h)
    plan = _plan(drafts, hosts_of)
    shadowed: set = set()
    for d in drafts:
        on = hosts_of.get(d.gateway, set())
        if not on or not any(r.host in on for r in d.rules):
            continue
        prefix_idiom = d.provider_state.get(PREFIX, {})
        notes: dict[str | None, list[str]] = {}
        kept: dict[str | None, list[str]] = {}
        for rule in list(d.rules):
            if rule.host not in on or rule.origin.annotation or rule.is_default_backend:
                continue
            if rule.source_path is None:
                continue
            raw, ptype = rule.source_path, rule.source_path_type
            how = plan.get((d.gateway, rule.host, rule.origin.location), "full")
            if rule.origin.location in prefix_idiom:
                order.setdefault((d.gateway, rule.host), []).append((raw, rule))
                literal = prefix_idiom[rule.origin.location]
                rule.match = Match(path=PathMatch(type="PathPrefix", value=literal), headers=rule.match.headers)
                continue
            if mode == "strict" and gateway_path_ok(raw) and not has_meta(raw) and rule.match.path.type != \
                    "RegularExpression":
                kept.setdefault(rule.host, []).append(f"{ptype} {raw}")
                if how == "split":
                    # PathPrefix <p> rewrites (what ^<p>/ matched); the clone = <p> does not.
                    clone = _clone(rule, PathMatch(type="Exact", value=raw))
                    d.rules.insert(d.rules.index(rule), clone)
                continue
            if how == "root-shadowed":
                d.rules.remove(rule)
                if (d.gateway, rule.host, rule.origin.location) not in shadowed:
                    shadowed.add((d.gateway, rule.host, rule.origin.location))
                    report.add(Code.ROUTE_CONFLICT, location=rule.origin.location, obj=_ref(d), provider=PROVIDER,
                               value=raw, detail=f"host {rule.host or '*'} is in the controller's regex mode, where "
                                                 "Exact / is the regex location ~* \"^/\", as is the root location "
                                                 "the controller makes for every host, which comes first: the "
                                                 "controller never used this path, and it was left out")
                continue
            if how in ("slash", "split"):
                raw = raw + "/"  # the normalized location ^<p>/
            problem = re2_problem(raw)
            if problem is None:
                order.setdefault((d.gateway, rule.host), []).append((raw, rule))
            else:
                d.rules.remove(rule)
                report.add(Code.PATH_INVALID, location=rule.origin.location, obj=_ref(d), provider=PROVIDER,
                           value=raw, detail=f"path {raw!r} is an NGINX regex on this host (regex mode), and it "
                                             f"uses a {problem} that Gateway API implementations cannot load; "
                                             "the path was left out")
                continue
            value = faithful(raw)
            rule.match = Match(path=PathMatch(type="RegularExpression", value=value), headers=rule.match.headers)
            note = f"{ptype} {rule.source_path} -> {value}"
            if how == "slash" and rule.origin.location in d.provider_state.get(SLASH, {}):
                note += " (rewritten)"
            if how == "split":
                cloned = clone_regex(rule.source_path)
                clone = _clone(rule, PathMatch(type="RegularExpression", value=cloned))
                d.rules.insert(d.rules.index(rule) + 1, clone)
                note += f" (rewritten) and {cloned} (not rewritten)"
                if cloned == faithful(rule.source_path):
                    order.setdefault((d.gateway, rule.host), []).append((rule.source_path, clone))
            notes.setdefault(rule.host, []).append(note)
        for host in sorted(set(notes) | set(kept), key=lambda h: h or ""):
            why = _trigger_text(triggers[(d.gateway, host)])
            if kept.get(host):
                report.add(REGEX_LOSSY, location=d.origin.location, obj=_ref(d), provider=PROVIDER,
                           detail=f"host {host or '*'} is in the controller's regex mode ({why}), where every "
                                  f"path was a case-insensitive prefix regex; --regex-mode strict kept "
                                  f"{_listed(kept[host])} as written, so they no longer match other letter cases "
                                  "or longer paths (an Exact /foo also matched /FOO/bar)"
                                  + (f"; converted: {_listed(notes[host])}" if notes.get(host) else ""),
                           remedy="Use --regex-mode faithful to reproduce the controller, or check that no client "
                                  "relied on those matches.")
            else:
                report.add(REGEX_INFO, location=d.origin.location, obj=_ref(d), provider=PROVIDER,
                           detail=f"host {host or '*'} is in the controller's regex mode ({why}): its paths became "
                                  f"case-insensitive prefix regexes, as the controller matched them: "
                                  f"{_listed(notes[host])} (--regex-mode strict keeps plain paths as Exact/PathPrefix)",
                           remedy="Nothing to do; regex matching is implementation-specific in Gateway API, so "
                                  "test the routes on your implementation.")
    for (gw, host), entries in sorted(order.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        _overlaps(host, entries, triggers[(gw, host)], report)


def _trigger_text(trigs: list[tuple[IngressDraft, str]]) -> str:
    seen = []
    for d, key in trigs:
        text = f"{key.rsplit('/', 1)[-1]} on Ingress {d.origin.key}"
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def _overlaps(host, entries: list[tuple[str, RuleDraft]], trigs, report: Report) -> None:
    """nginx sorts regex locations longest first and takes the first match; Gateway API does not say."""
    regexy = [(raw, r) for raw, r in entries if r.match.path.type == "RegularExpression"
              or r.match.path.type == "PathPrefix" and has_meta(raw)]
    if len(regexy) < 2:
        return
    regexy.sort(key=lambda e: -len(e[0]))  # the controller's order (stable for equal lengths)
    pairs = []
    for i, (a, ra) in enumerate(regexy):
        for b, rb in regexy[i + 1:]:
            ha, hb = literal_head(a), literal_head(b)
            if (ha.startswith(hb) or hb.startswith(ha)) and _outcome(ra) != _outcome(rb):
                pairs.append(f"{a} before {b}")
    if not pairs:
        return
    d, _ = trigs[0]
    report.add(Code.PATH_REGEX_PRECEDENCE, location=d.origin.location, obj=_ref(d), provider=PROVIDER,
               detail=f"host {host or '*'}: paths of the regex host overlap, and the controller tried them "
                      f"longest first (first match wins): {_listed(pairs)}; Gateway API leaves the precedence of "
                      "RegularExpression matches to the implementation, so a request matching several may reach "
                      "another backend",
               remedy="Make the overlapping regexes exclusive, or check the order your implementation applies.")


def _trailing_slash_redirects(drafts, regex_hosts: set, ctx, report) -> None:
    """nginx's 301 from /foo to /foo/ for locations ending in / (outside regex mode): a Prefix ``/foo/`` (the
    prefix location ``/foo/``) and an Exact ``/foo/`` (``= /foo/``) alike, NGINX's auto_redirect applying to
    both (ngx_http_core_find_static_location)."""
    exact: dict[tuple, set[str]] = {}
    wanted: list[tuple[IngressDraft, RuleDraft, str]] = []
    for d in drafts:
        for rule in d.rules:
            key = (d.gateway, rule.host)
            if key in regex_hosts or rule.is_default_backend:
                continue
            if rule.match.path.type == "Exact":
                exact.setdefault(key, set()).add(rule.match.path.value)
            if rule.source_path is None or rule.origin.annotation or rule.match.headers:
                continue
            raw, ptype = rule.source_path, rule.source_path_type
            if ptype != "Exact" and not raw.endswith("/"):
                exact.setdefault(key, set()).add(raw)  # the controller adds "= /foo" next to "/foo/"
            elif raw.endswith("/") and raw != "/" and (
                    ptype != "Exact" and rule.match.path.type == "PathPrefix"
                    or ptype == "Exact" and rule.match.path == PathMatch(type="Exact", value=raw)):
                wanted.append((d, rule, raw))
    done: set = set()
    for d, rule, raw in wanted:
        key, bare = (d.gateway, rule.host), raw[:-1]
        if bare in exact.get(key, set()) or (key, bare) in done or not gateway_path_ok(bare):
            continue
        done.add((key, bare))
        redirect = RuleDraft(host=rule.host, match=Match(path=PathMatch(type="Exact", value=bare)),
                             backends=list(rule.backends), origin=rule.origin, created=rule.created,
                             serve_http=rule.serve_http, serve_https=rule.serve_https,
                             ssl_redirect=rule.ssl_redirect, force_ssl_redirect=rule.force_ssl_redirect)
        redirect.add(RequestRedirect(replace_full_path=raw, status_code=301, origin=rule.origin))
        d.rules.insert(d.rules.index(rule), redirect)
        kind = "exact location = " if rule.source_path_type == "Exact" else "prefix location "
        report.add(SLASH_INFO, location=rule.origin.location, obj=_ref(d), provider=PROVIDER, value=raw,
                   detail=f"the controller's {kind}{raw} answered {bare} with a 301 redirect to {raw}; "
                          f"an Exact {bare} redirect rule reproduces it")


def settle_paths(drafts: list[IngressDraft], report: Report) -> None:
    """After regex mode: placeholders left are not Gateway API paths (reported, left out), and
    ImplementationSpecific paths that regex mode made character prefixes are reported.

    Outside regex mode the controller reads ImplementationSpecific as Prefix (internal/k8s
    SetDefaultNGINXPathType: ``/img`` is ``location /img/`` + ``location = /img``), which PathPrefix reproduces:
    no finding. On a host in regex mode such a path is the regex location ``~* "^<path>"`` (with ``^<path>/``
    before it), which ``--regex-mode strict`` kept as PathPrefix: its finding describes that regex. The rewrite
    idiom ``<p>(/|$)(.*)`` matched ``<p>`` and ``<p>/...`` only, which PathPrefix ``<p>`` also does: no finding
    (its letter-case difference is in the rewrite-target finding)."""
    regex_hosts = {(d.gateway, h) for d in drafts for h in (d.provider_state.get(TRIGGER) or {}).get("hosts", [])}
    for d in drafts:
        for rule in list(d.rules):
            p = rule.match.path
            if rule.source_path is None or rule.is_default_backend:
                continue
            if p.type == "RegularExpression" and p.value == rule.source_path:
                d.rules.remove(rule)
                report.add(Code.PATH_INVALID, location=rule.origin.location, obj=_ref(d), provider=PROVIDER,
                           value=rule.source_path,
                           detail=f"path {_short(rule.source_path)} ({rule.source_path_type}) is not a valid Gateway "
                                  "API path, and its host is not in regex mode (use-regex / rewrite-target), where "
                                  "the controller would have read it as a regex; the path was left out")
            elif (rule.source_path_type == "ImplementationSpecific" and p.type == "PathPrefix"
                    and rule.source_path != "/" and not rule.source_path.endswith("/")
                    and (d.gateway, rule.host) in regex_hosts
                    and rule.origin.location not in d.provider_state.get(PREFIX, {})):
                raw = rule.source_path
                report.add(Code.PATH_CHARACTER_PREFIX, location=rule.origin.location, obj=_ref(d),
                           provider=PROVIDER, value=raw,
                           detail=f"ImplementationSpecific path {raw!r} was the NGINX regex location "
                                  f"~* \"^{raw}\" (its host is in regex mode), which matched every path starting "
                                  f"with {raw} in any letter case, such as {raw + 'x'!r}"
                                  + (f" and {raw.upper()!r}" if raw.upper() != raw else "") + "; "
                                  f"PathPrefix {p.value!r} matches only whole segments, in this letter case")


def _short(path: str) -> str:
    """A path quoted for a message: at most 100 characters of it, and its length when it is longer."""
    return repr(path) if len(path) <= 100 else f"{path[:100]!r}... ({len(path)} characters)"
