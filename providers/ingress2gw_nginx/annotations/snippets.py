"""Raw NGINX snippets: reported as security findings, never translated into anything that runs code.

https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations-risk/

Every ``*-snippet`` annotation is rated Critical. Since v1.9 the controller refuses them unless the
ConfigMap sets ``allow-snippet-annotations: "true"``, and since v1.12 the default ``annotations-risk-level:
High`` refuses every Critical annotation as well — so a snippet in a manifest may never have run. The
finding says which, from the ConfigMap (or the defaults), and names what the snippet does where the
directive is recognisable, so a human can rebuild it with filters or policies. NGINX Gateway Fabric can
carry snippets (SnippetsFilter / SnippetsPolicy) only when snippets are enabled on it (issue 7).
"""

from __future__ import annotations

import re

from ingress2gw.plugin import AnnotationValue, Code, Context, IngressDraft, Report, SnippetPolicy, Status

from ingress2gw_nginx.annotations._read import sibling
from ingress2gw_nginx.config import snippets_refused
from ingress2gw_nginx.registry import REGISTRY

#: Where each snippet annotation is inserted.
_WHERE = {
    "configuration-snippet": "into every location of this Ingress",
    "server-snippet": "into the server block of each of its hosts (every Ingress on the host)",
    "stream-snippet": "into the stream {} block (TCP/UDP, outside HTTP)",
    "auth-snippet": "into the auth_request location of auth-url",
    "modsecurity-snippet": "as ModSecurity rules for this Ingress",
}


#: Runs the scanner consumes at once (each step is linear in what it consumes).
_WORD_RUN = re.compile(r"[^\s;{}]+")  # inside a word, quotes and '#' are ordinary characters
_QUOTED_RUN = {'"': re.compile(r'[^"\\]+'), "'": re.compile(r"[^'\\]+")}


def _statements(text: str) -> list[list[str]]:
    """NGINX statements as word lists: quotes respected, comments dropped, blocks flattened, Lua block bodies
    skipped (conservative; the snippet is only read, never executed).

    Linear in the length of ``text``: a word is collected as a list of pieces joined once, and runs of ordinary
    characters are taken with one regex match (a multi-megabyte single word must not be rebuilt char by char).
    """
    out: list[list[str]] = []
    parts: list[str] = []  # the pieces of the current word
    words: list[str] = []
    quote, i, n = "", 0, len(text)

    def end_word():
        if parts:
            words.append("".join(parts))
            parts.clear()

    while i < n:
        c = text[i]
        if quote:
            if c == "\\" and i + 1 < n:
                parts.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                quote = ""
            else:
                m = _QUOTED_RUN[quote].match(text, i)
                if m is None:  # a lone trailing backslash
                    parts.append(c)
                else:
                    parts.append(m.group())
                    i = m.end()
                    continue
        elif c in "\"'" and not parts:
            quote = c
        elif c == "#" and not parts:
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c.isspace():
            end_word()
        elif c in ";{}":
            end_word()
            if words:
                out.append(words)
                if c == "{" and words[0].lower().endswith("_by_lua_block"):
                    depth = 1  # skip the Lua body up to the matching brace
                    while i + 1 < n and depth:
                        i += 1
                        depth += {"{": 1, "}": -1}.get(text[i], 0)
            words = []
        else:
            m = _WORD_RUN.match(text, i)
            parts.append(m.group())
            i = m.end()
            continue
        i += 1
    end_word()
    if words:
        out.append(words)
    return out


def _header(words: list[str]) -> str:
    """The header name of ``more_set_headers "Name: value"`` or ``proxy_set_header Name value``."""
    args = [w for w in words[1:] if not w.startswith("-")]
    if not args:
        return "?"
    return args[0].split(":", 1)[0].strip() or "?"


#: What each header directive does with the header it names.
_HEADER_DIRECTIVES = {
    "more_set_headers": "sets response header {header} (more_set_headers → ResponseHeaderModifier)",
    "more_clear_headers": "removes response header {header} (more_clear_headers → ResponseHeaderModifier)",
    "more_set_input_headers": "sets request header {header} (more_set_input_headers → RequestHeaderModifier)",
    "more_clear_input_headers": "removes request header {header} (more_clear_input_headers → RequestHeaderModifier)",
    "proxy_set_header": "sets request header {header} sent upstream (proxy_set_header → RequestHeaderModifier)",
    "add_header": "adds response header {header} (add_header, only on 2xx/3xx unless 'always' → ResponseHeaderModifier)",
    "proxy_hide_header": "hides upstream response header {header} (proxy_hide_header → ResponseHeaderModifier)",
}


def describe(text: str) -> list[str]:
    """What a snippet does, one phrase per recognised directive (order kept, duplicates dropped)."""
    found: dict[str, None] = {}  # dicts: ordered, and deduplicated in constant time (snippets can be huge)
    other: dict[str, None] = {}
    for words in _statements(text):
        d = words[0].lower()
        if d in _HEADER_DIRECTIVES:
            what = _HEADER_DIRECTIVES[d].format(header=_header(words))
        elif d == "return":
            code = words[1] if len(words) > 1 else "?"
            what = (f"answers {code} to {words[2]} (return → RequestRedirect)" if len(words) > 2 and code.startswith("30")
                    else f"answers {code} itself (return; no Gateway API direct response)")
        elif d == "rewrite":
            what = "rewrites the URI (rewrite → URLRewrite or RequestRedirect)"
        elif d in ("allow", "deny"):
            what = f"{d}s clients {words[1] if len(words) > 1 else ''} ({d} → IP authorization policy)".replace("  ", " ")
        elif "lua" in d:
            what = f"runs Lua code ({d}; no equivalent, rewrite by hand)"
        elif d == "if":
            what = "has conditional logic (if; no equivalent)"
        elif d == "set":
            what = "sets NGINX variables (set)"
        elif d == "location":
            what = "defines extra locations (location → HTTPRoute rules)"
        elif d in ("proxy_pass", "grpc_pass", "fastcgi_pass"):
            what = f"proxies to another upstream ({d})"
        elif d.startswith(("auth_basic", "auth_request")):
            what = f"adds authentication ({d})"
        elif d.startswith(("limit_req", "limit_conn", "limit_rate")):
            what = f"limits requests ({d} → rate-limit policy)"
        elif d.startswith("secrule") or d.startswith("modsecurity"):
            what = f"configures ModSecurity ({words[0]})"
        else:
            other[d] = None
            continue
        found[what] = None
    result = list(found)
    if other:
        result.append("other directives: " + ", ".join(other))
    return result


def _snippet(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    parts = [f"{value.name} injects raw NGINX configuration {_WHERE[value.name]}"]
    what = describe(value.text)
    if what:
        parts.append("it " + "; ".join(what))
    if value.name == "auth-snippet" and sibling(value, "auth-url") is None:
        parts.append("the controller ignores it without auth-url")
    if value.name == "modsecurity-snippet" and not ctx.settings.get("enable-modsecurity") \
            and (sibling(value, "enable-modsecurity") or "").strip() not in ("true", "True", "1"):
        parts.append("ModSecurity is not enabled for this Ingress, so the rules did not apply")
    refused = snippets_refused(ctx)
    parts.append(refused or "the controller configuration allowed it, so it ran")
    refused = refused if refused else ""
    if value.name in ("configuration-snippet", "server-snippet"):
        # Carried as data only: an emitter whose target runs NGINX may render it when the user passes
        # --allow-snippets (NGINX Gateway Fabric SnippetsFilter); the security finding stays either way.
        intent = SnippetPolicy(origin=value.origin, refused=refused or "", text=value.text,
                               context="location" if value.name == "configuration-snippet" else "server")
        for rule in draft.rules:
            rule.add(intent)
    report.add(Code.ANNOTATION_SECURITY, location=value.origin.location, obj=value.origin_ref,
               provider="ingress-nginx", annotation=value.key, value=value.text,
               detail="; ".join(parts) + ". It was not translated.",
               remedy="Rebuild each behaviour with the route filter or policy named above and review the rest by "
                      "hand; NGINX Gateway Fabric can carry snippets only when snippets are enabled on it.")


for _name, _area in (("configuration-snippet", "snippets"), ("server-snippet", "snippets"),
                     ("stream-snippet", "snippets"), ("auth-snippet", "extauth"), ("modsecurity-snippet", "waf")):
    REGISTRY.annotation(
        _name, area=_area, status=Status.SECURITY,
        maps_to="none (NGF SnippetsFilter/SnippetsPolicy only with snippets enabled)",
        caveat=f"Raw NGINX configuration inserted {_WHERE[_name]}; never translated into anything that runs code.",
        remediation="Rebuild the behaviour with route filters or implementation policies.",
    )(_snippet)
