"""Canary Ingresses (``canary: "true"``) attach to the host+path of a main Ingress.

What the controller does (internal/ingress/controller/controller.go ``mergeAlternativeBackends``,
rootfs/etc/nginx/lua/balancer.lua ``route_to_alternative_balancer``):

- A canary Ingress creates no server and no location. For each of its host+path pairs, its backend
  becomes the alternative backend of the location that a main (non-canary) Ingress defines for the
  same host and path; paths without such a location are skipped.
- Only the first alternative backend of a location is used: one canary per host+path (Ingresses
  are taken oldest first).
- Requests keep the main location's configuration; the canary Ingress's other annotations are
  ignored, except the upstream ones (load-balance, upstream-hash-by, affinity), which configure the
  canary Service only.
- Decision order header → cookie → weight (see ``annotations/canary.py``).

How it is expressed (Gateway API chooses among rules of the same path by the number of header
matches, so each decision gets its own rule, copied from the main rule with its filters):

- header decision → a rule per header match (canary or main backend);
- cookie decision → a rule matching the Cookie header with a regular expression;
- when both exist, a rule with both matches for every pair where they disagree, going where the
  header decides (two header matches outrank one, as the header outranks the cookie in nginx);
- weight → the main rule gets weighted backends: main ``total - weight``, canary ``weight``.

Outcomes of the canary keys are reported here: the handlers only validate and return
``REPORT_LATER``, because a key's effect depends on the main Ingress found by this pass.
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    Code, Context, HeaderMatch, controller_order, IngressDraft, Match, ObjectRef, Report, RuleDraft, ServiceBackend,
)

from ingress2gw_nginx.annotations import canary as keys

PROVIDER = "ingress-nginx"
#: Annotations of a canary Ingress the controller still applies (to the canary Service's upstream).
UPSTREAM_KEYS = ("load-balance", "upstream-hash-by", "affinity", "session-cookie-")


def _ref(d: IngressDraft) -> ObjectRef:
    return ObjectRef("Ingress", d.origin.namespace, d.origin.name)


def cookie_regex(name: str, value: str) -> str:
    """A full-match regex (RE2 and PCRE alike) for ``name=value`` among the cookies of a Cookie header."""
    return rf"(.*;\s*)?{re.escape(name)}={value}(;.*)?"


def header_regex(pattern: str) -> str:
    """nginx searches (``ngx.re.match`` is unanchored); Envoy matches the whole value: make it a search."""
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith(r"\$"):
        return pattern
    return f".*(?:{pattern}).*"


def merge_canaries(drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
    canaries = sorted((d for d in drafts if keys.STATE in d.provider_state), key=controller_order)
    mains = _main_index(sorted((d for d in drafts if not _is_canary(d)), key=controller_order))
    taken: dict[tuple, IngressDraft] = {}
    for d in canaries:
        if not _is_canary(d):
            _report_not_enabled(d, report)
            continue
        merged = _merge(d, mains, taken, report)
        _report_keys(d, merged, report)
        _ignore_other_annotations(d, report)
        d.rules, d.hosts, d.tls, d.default_backend = [], [], [], None


def _is_canary(d: IngressDraft) -> bool:
    return bool(d.provider_state.get(keys.STATE, {}).get("enabled"))


def _values(d: IngressDraft) -> dict:
    return d.provider_state[keys.STATE]["values"]


def _report_not_enabled(d: IngressDraft, report: Report) -> None:
    for name, (parsed, value) in sorted(_values(d).items()):
        if name == "canary":
            value.report(report, Code.ANNOTATION_IGNORED, "canary is false: this Ingress routes as a regular one")
        else:
            value.report(report, Code.ANNOTATION_IGNORED,
                         f"{name} has no effect without canary: \"true\" (the controller rejects the canary settings "
                         "of a non-canary Ingress); it was not translated")


def _decisions(d: IngressDraft, report: Report) -> tuple[list, list, list, list, int, int, list[str]]:
    """(canary header matches, main header matches, canary cookie matches, main cookie matches,
    weight, total, caveats) from the validated values."""
    v = {k: p for k, (p, _) in _values(d).items()}
    caveats: list[str] = []
    to_canary_h: list[HeaderMatch] = []
    to_main_h: list[HeaderMatch] = []
    header = v.get("canary-by-header")
    if header:
        if v.get("canary-by-header-value"):
            to_canary_h.append(HeaderMatch(name=header, value=v["canary-by-header-value"]))
        elif v.get("canary-by-header-pattern"):
            to_canary_h.append(HeaderMatch(name=header, type="RegularExpression",
                                           value=header_regex(v["canary-by-header-pattern"])))
            caveats.append("the header pattern is a PCRE search in nginx; it was emitted as a whole-value "
                           "regular expression, whose dialect is the gateway's (RE2 for Envoy)")
        else:
            to_canary_h.append(HeaderMatch(name=header, value="always"))
            to_main_h.append(HeaderMatch(name=header, value="never"))
    to_canary_c: list[HeaderMatch] = []
    to_main_c: list[HeaderMatch] = []
    cookie = v.get("canary-by-cookie")
    if cookie:
        to_canary_c.append(HeaderMatch(name="Cookie", type="RegularExpression", value=cookie_regex(cookie, "always")))
        to_main_c.append(HeaderMatch(name="Cookie", type="RegularExpression", value=cookie_regex(cookie, "never")))
        caveats.append(f"cookie {cookie} is matched with a regular expression on the Cookie header (support for "
                       "regex header matches is implementation-specific)")
    total = max(v.get("canary-weight-total") or 100, 100)  # the balancer uses totals above 100 only
    weight = min(v.get("canary-weight") or 0, total)
    return to_canary_h, to_main_h, to_canary_c, to_main_c, weight, total, caveats


def _merge(d: IngressDraft, mains: dict, taken: dict, report: Report) -> list[str]:
    """Attach each canary rule to its main rule; returns the host+path pairs merged."""
    canary_value = _values(d)["canary"][1]
    ch, mh, cc, mc, weight, total, _ = _decisions(d, report)
    merged: list[str] = []
    if d.default_backend is not None and not d.rules:
        canary_value.report(report, Code.ANNOTATION_UNSUPPORTED,
                            "a canary of the default backend (spec.defaultBackend) was not translated",
                            "Split the catch-all route's backendRefs by hand.", location=d.default_backend_origin.location)
    for rule in d.rules:
        where = f"{rule.host or '*'}{rule.match.path.value}"
        main = _find_main(rule, mains)
        if main is None:
            canary_value.report(report, Code.CANARY_NO_MAIN,
                                f"no main Ingress serves {where} ({rule.match.path.type}); the controller ignored this canary "
                                "path, and nothing was emitted for it", "Add the path to the main Ingress, or delete it here.",
                                location=rule.origin.location)
            continue
        owner, main_rule = main
        key = (owner.gateway, rule.conflict_key())
        if key in taken:
            report.add(Code.ROUTE_CONFLICT, location=rule.origin.location, obj=_ref(d), provider=PROVIDER,
                       annotation=canary_value.key, value=canary_value.text,
                       detail=f"canary Ingress {taken[key].origin.key} already takes {where}; the controller uses "
                              "one canary per host and path, so this one was ignored")
            continue
        if owner.origin.namespace != d.origin.namespace:
            canary_value.report(report, Code.ANNOTATION_UNSUPPORTED,
                                f"the main Ingress of {where} is in namespace {owner.origin.namespace}; a canary backend in "
                                "another namespace was not translated", "Move the canary Service next to the main Ingress, or "
                                "add the backendRef with its namespace and a ReferenceGrant by hand.", location=rule.origin.location)
            continue
        taken[key] = d
        _split(owner, main_rule, rule, ch, mh, cc, mc, weight, total)
        merged.append(f"{where} of Ingress {owner.origin.key}")
    return merged


def _main_index(mains: list[IngressDraft]) -> dict:
    """(host, match) → (main Ingress, its rule); the oldest main wins, as the controller keeps its location."""
    index: dict = {}
    for m in mains:
        if not m.gateway:
            continue
        for r in m.rules:
            if not r.is_default_backend:
                index.setdefault((r.host, r.match.sort_key()), (m, r))
    return index


def _find_main(rule: RuleDraft, mains: dict) -> tuple[IngressDraft, RuleDraft] | None:
    return mains.get((rule.host, rule.match.sort_key()))


def _split(owner: IngressDraft, main: RuleDraft, canary: RuleDraft, ch, mh, cc, mc, weight: int, total: int) -> None:
    canary_backends = [b.model_copy(update={"weight": 1}) for b in canary.backends]
    main_backends = [b.model_copy(update={"weight": 1}) for b in main.backends]

    def copy(headers: list[HeaderMatch], backends: list[ServiceBackend]) -> RuleDraft:
        return RuleDraft(
            host=main.host, match=Match(path=main.match.path, headers=tuple(main.match.headers) + tuple(headers)),
            backends=list(backends), origin=canary.origin, created=main.created, intents=list(main.intents),
            serve_http=main.serve_http, serve_https=main.serve_https, ssl_redirect=main.ssl_redirect,
            force_ssl_redirect=main.force_ssl_redirect, protocol=main.protocol,
            # The canary shares the main location: regex mode must convert its path the same way.
            source_path=main.source_path, source_path_type=main.source_path_type,
        )

    new = [copy([h], canary_backends) for h in ch] + [copy([h], main_backends) for h in mh]
    new += [copy([c], canary_backends) for c in cc] + [copy([c], main_backends) for c in mc]
    # Header beats cookie: where they disagree, a rule with both matches outranks the cookie rule.
    new += [copy([h, c], canary_backends) for h in ch for c in mc]
    new += [copy([h, c], main_backends) for h in mh for c in cc]
    if weight > 0:
        split = [b.model_copy(update={"weight": total - weight}) for b in main.backends] if weight < total else []
        main.backends = split + [b.model_copy(update={"weight": weight}) for b in canary.backends]
    at = owner.rules.index(main) + 1
    owner.rules[at:at] = new


def _report_keys(d: IngressDraft, merged: list[str], report: Report) -> None:
    values = _values(d)
    ch, mh, cc, mc, weight, total, caveats = _decisions(d, report)
    v = {k: p for k, (p, _) in values.items()}
    for name, (parsed, value) in sorted(values.items()):
        if not merged:
            value.report(report, Code.ANNOTATION_IGNORED,
                         "the canary took effect on no host and path (see the other findings of this Ingress); nothing "
                         "was emitted for it")
            continue
        if name == "canary":
            detail = "merged into " + ", ".join(merged)
            code = Code.ANNOTATION_LOSSY if caveats else Code.ANNOTATION_TRANSLATED
            if not (ch or cc or weight):
                detail += "; with no header, cookie or weight the canary receives no traffic (as in nginx)"
            value.report(report, code, detail + ("; " + "; ".join(caveats) if caveats else ""))
        elif name in ("canary-by-header-value", "canary-by-header-pattern") and not v.get("canary-by-header"):
            value.report(report, Code.ANNOTATION_IGNORED, f"{name} has no effect without canary-by-header")
        elif name == "canary-by-header-pattern" and v.get("canary-by-header-value"):
            value.report(report, Code.ANNOTATION_IGNORED,
                         "canary-by-header-value is set, so the controller ignores canary-by-header-pattern")
        elif name == "canary-by-header-pattern":
            value.report(report, Code.ANNOTATION_LOSSY, caveats[0])
        elif name == "canary-by-header":
            how = ("requests whose header does not select the canary fall through to the cookie and weight rules"
                   if not mh else "always → canary and never → main, other values fall through to cookie and weight")
            value.report(report, Code.ANNOTATION_TRANSLATED, f"header match on {parsed}: {how}")
        elif name == "canary-by-cookie":
            value.report(report, Code.ANNOTATION_LOSSY, next(c for c in caveats if c.startswith("cookie")))
        elif name == "canary-weight-total" and parsed < 100:
            value.report(report, Code.ANNOTATION_IGNORED,
                         f"the controller's balancer uses a total of 100 when canary-weight-total is below 100; "
                         f"weights were computed out of {total}")
        elif name == "canary-by-header-value":
            value.report(report, Code.ANNOTATION_TRANSLATED, f"header match {v['canary-by-header']}: {parsed} → canary; "
                         "other values fall through to the cookie and weight rules")
        elif name in ("canary-weight", "canary-weight-total"):
            detail = (f"backend weights: main {total - weight}, canary {weight} (of {total})" if weight
                      else "canary weight 0: requests not chosen by header or cookie all go to the main backend")
            value.report(report, Code.ANNOTATION_TRANSLATED, detail)


def _ignore_other_annotations(d: IngressDraft, report: Report) -> None:
    """The canary's location annotations are not used by the controller: report them as such."""
    ref = _ref(d)
    for spec, value, *_ in d.pending:
        if value.name.startswith(UPSTREAM_KEYS):
            detail = (f"{value.name} on a canary Ingress configures the canary Service's upstream only; "
                      "route-level Gateway API settings cannot target one backend, so it was not translated")
            report.add(Code.ANNOTATION_UNSUPPORTED, location=value.origin.location, obj=ref, provider=PROVIDER,
                       annotation=value.key, value=value.text, detail=detail,
                       remedy="Configure a Service-level policy for the canary Service by hand.")
        else:
            report.add(Code.ANNOTATION_IGNORED, location=value.origin.location, obj=ref, provider=PROVIDER,
                       annotation=value.key, value=value.text,
                       detail=f"{value.name} is ignored on a canary Ingress: requests use the main Ingress's "
                              "settings (nothing of the canary Ingress is emitted but its backend)")
    d.pending = []
