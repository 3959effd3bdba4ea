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

Also here, because it needs the same host-wide view: the 301 nginx sends for a URI equal to a prefix
location without its trailing ``/`` (``location /foo/`` answers ``/foo`` with ``301 /foo/``), unless an exact
location ``= /foo`` exists on the server (a ``Prefix /foo`` path creates one).

Paths that are not Gateway API paths (``/api(/|$)(.*)``) reach this pass as RegularExpression placeholders
holding the raw path (the provider's path hook); ``settle_paths`` reports those whose host is not in regex
mode as ``path.invalid``, and reports the character-prefix ImplementationSpecific paths that regex mode did
not reproduce.
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    Code, Context, IngressDraft, Match, ObjectRef, PathMatch, Report, RequestRedirect, RuleDraft, gateway_path_ok,
)

try:  # RE2 is what most Gateway implementations use; its bindings come with cel-python.
    import re2 as _re2
except ImportError:  # pragma: no cover - the scan below still catches the PCRE-only constructs
    _re2 = None

PROVIDER = "ingress-nginx"
#: provider_state keys: hosts a draft puts in regex mode, and rules the rewrite handler settled as PathPrefix.
TRIGGER = "nginx.regex"
PREFIX = "nginx.prefix-idiom"
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
    triggers: dict[tuple, list[tuple[IngressDraft, str]]] = {}
    for d in drafts:
        state = d.provider_state.get(TRIGGER)
        for h in (state or {}).get("hosts", []):
            triggers.setdefault((d.gateway, h), []).append((d, state["keys"][0]))
    if triggers:
        _regex_hosts(drafts, triggers, mode, ctx, report)
    _trailing_slash_redirects(drafts, set(triggers), ctx, report)


def _regex_hosts(drafts, triggers, mode, ctx, report) -> None:
    order: dict[tuple, list[tuple[str, RuleDraft]]] = {}
    hosts_of: dict[str, set] = {}
    for gw, h in triggers:
        hosts_of.setdefault(gw, set()).add(h)
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
            if rule.origin.location in prefix_idiom or re2_problem(raw) is None:
                order.setdefault((d.gateway, rule.host), []).append((raw, rule))
            if rule.origin.location in prefix_idiom:
                literal = prefix_idiom[rule.origin.location]
                rule.match = Match(path=PathMatch(type="PathPrefix", value=literal), headers=rule.match.headers)
                continue
            if mode == "strict" and gateway_path_ok(raw) and not has_meta(raw) and rule.match.path.type != \
                    "RegularExpression":
                kept.setdefault(rule.host, []).append(f"{ptype} {raw}")
                continue
            problem = re2_problem(raw)
            if problem:
                d.rules.remove(rule)
                report.add(Code.PATH_INVALID, location=rule.origin.location, obj=_ref(d), provider=PROVIDER,
                           value=raw, detail=f"path {raw!r} is an NGINX regex on this host (regex mode), and it "
                                             f"uses a {problem} that Gateway API implementations cannot load; "
                                             "the path was left out")
                continue
            value = faithful(raw)
            rule.match = Match(path=PathMatch(type="RegularExpression", value=value), headers=rule.match.headers)
            notes.setdefault(rule.host, []).append(f"{ptype} {raw} -> {value}")
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
    """nginx's 301 from /foo to /foo/ for prefix locations ending in / (outside regex mode)."""
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
            if ptype == "Prefix" and not raw.endswith("/"):
                exact.setdefault(key, set()).add(raw)  # the controller adds "= /foo" next to "/foo/"
            elif ptype in ("Prefix", "ImplementationSpecific") and raw.endswith("/") and raw != "/" \
                    and rule.match.path.type == "PathPrefix":
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
        report.add(SLASH_INFO, location=rule.origin.location, obj=_ref(d), provider=PROVIDER, value=raw,
                   detail=f"the controller's prefix location {raw} answered {bare} with a 301 redirect to {raw}; "
                          f"an Exact {bare} redirect rule reproduces it")


def settle_paths(drafts: list[IngressDraft], report: Report) -> None:
    """After regex mode: placeholders left are not Gateway API paths (reported, left out), and
    ImplementationSpecific prefix paths that regex mode did not reproduce are character prefixes.

    On a host in regex mode such a path was not a prefix location but the regex location ``~* "^<path>"``
    (``--regex-mode strict`` kept it as PathPrefix): its finding describes that regex. The rewrite idiom
    ``<p>(/|$)(.*)`` matched ``<p>`` and ``<p>/...`` only, which PathPrefix ``<p>`` also does: no finding (its
    letter-case difference is in the rewrite-target finding)."""
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
                           detail=f"path {rule.source_path!r} ({rule.source_path_type}) is not a valid Gateway API "
                                  "path, and its host is not in regex mode (use-regex / rewrite-target), where the "
                                  "controller would have read it as a regex; the path was left out")
            elif (rule.source_path_type == "ImplementationSpecific" and p.type == "PathPrefix"
                    and rule.source_path != "/" and not rule.source_path.endswith("/")):
                raw = rule.source_path
                if (d.gateway, rule.host) in regex_hosts:
                    if rule.origin.location in d.provider_state.get(PREFIX, {}):
                        continue
                    report.add(Code.PATH_CHARACTER_PREFIX, location=rule.origin.location, obj=_ref(d),
                               provider=PROVIDER, value=raw,
                               detail=f"ImplementationSpecific path {raw!r} was the NGINX regex location "
                                      f"~* \"^{raw}\" (its host is in regex mode), which matched every path starting "
                                      f"with {raw} in any letter case, such as {raw + 'x'!r}"
                                      + (f" and {raw.upper()!r}" if raw.upper() != raw else "") + "; "
                                      f"PathPrefix {p.value!r} matches only whole segments, in this letter case")
                    continue
                report.add(Code.PATH_CHARACTER_PREFIX, location=rule.origin.location, obj=_ref(d),
                           provider=PROVIDER, value=rule.source_path,
                           detail=f"ImplementationSpecific path {rule.source_path!r} was an NGINX prefix location, "
                                  f"which also matched {rule.source_path + 'x'!r}; PathPrefix {p.value!r} matches "
                                  "only whole segments")
