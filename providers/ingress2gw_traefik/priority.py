"""Traefik router priority vs Gateway API precedence.

Traefik orders overlapping routers by priority, by default the length of the rule string
(``Host(`a.com`) && PathPrefix(`/a`)``), or ``router.priority``. Gateway API uses fixed precedence
(Exact, then the longest PathPrefix). Where two rules of a host overlap and the two orders disagree,
some requests reach another backend: that is reported on the rule that Gateway API would prefer. Where the two
routers have the same priority, Traefik breaks the tie itself: that is reported on the rule Gateway API
does not choose.
"""

from ingress2gw.plugin import Code, IngressDraft, ObjectRef, PathMatch, Report, RuleDraft


def rule_string(host: str | None, path: PathMatch) -> str:
    matcher = {"Exact": "Path", "PathPrefix": "PathPrefix", "RegularExpression": "PathRegexp"}[path.type]
    expr = f"{matcher}(`{path.value}`)"
    return f"Host(`{host}`) && {expr}" if host else expr


def _overlap(a: PathMatch, b: PathMatch) -> str | None:
    """A request path both matchers accept (Traefik semantics: PathPrefix is a character prefix)."""
    if a.type == "RegularExpression" or b.type == "RegularExpression":
        return None
    if a.type == "Exact" and b.type == "Exact":
        return a.value if a.value == b.value else None
    if a.type == "Exact":
        return a.value if a.value.startswith(b.value) else None
    if b.type == "Exact":
        return b.value if b.value.startswith(a.value) else None
    longer = a.value if len(a.value) >= len(b.value) else b.value
    return longer if longer.startswith(a.value) and longer.startswith(b.value) else None


def _gateway_wins(a: PathMatch, b: PathMatch) -> bool:
    """True when Gateway API precedence prefers a over b."""
    if a.type != b.type:
        return a.type == "Exact"
    return len(a.value) > len(b.value)


def _element_match(m: PathMatch, path: str) -> bool:
    if m.type == "Exact":
        return path == m.value
    p = m.value.rstrip("/")
    return p == "" or path == p or path.startswith(p + "/")


def report_priority_differences(drafts: list[IngressDraft], priorities: dict[int, int], report: Report) -> None:
    rules: list[RuleDraft] = [r for d in drafts for r in d.rules if not r.is_default_backend]
    by_host: dict = {}
    for r in rules:
        by_host.setdefault((r.host, r.serve_http, r.serve_https), []).append(r)
    # Routers without host compete with the routers of every host (one muxer), and the conversion repeats their
    # rules on every host (hostless_on_every_host): compare them with each host's rules too, by their own priority
    # (their rule string has no Host()).
    hostless = [r for r in rules if r.host is None]
    pairs = []
    for (host, _http, _https), group in by_host.items():
        pairs += [(a, b) for i, a in enumerate(group) for b in group[i + 1:]]
        if host is not None:
            pairs += [(a, b) for a in group for b in hostless if (a.serve_http and b.serve_http)
                      or (a.serve_https and b.serve_https)]
    seen = set()
    for a, b in pairs:
        cross = (a.host is None) != (b.host is None)
        host = a.host or b.host or "*"
        sample = _overlap(a.match.path, b.match.path)
        if sample is None or (a.match.path == b.match.path and not cross):
            continue
        pa = priorities.get(id(a), len(rule_string(a.host, a.match.path)))
        pb = priorities.get(id(b), len(rule_string(b.host, b.match.path)))
        traefik_a = pa > pb
        # Gateway API only considers a rule for the sample if its element-wise match accepts it; the
        # host's own rule keeps a path that its copy of a hostless rule repeats.
        gw_a = _element_match(a.match.path, sample) and (
            not _element_match(b.match.path, sample) or _gateway_wins(a.match.path, b.match.path)
            or (a.match.path == b.match.path and a.host is not None))
        if pa == pb:
            # Traefik breaks the tie itself (by router name), which the conversion does not predict: either
            # router may answer, where Gateway API precedence always chooses one.
            gw_win, gw_lose = (a, b) if gw_a else (b, a)
            if (id(gw_lose), id(gw_win)) not in seen:
                seen.add((id(gw_lose), id(gw_win)))
                report.add(Code.ROUTE_PRIORITY, location=gw_lose.origin.location,
                           obj=ObjectRef("Ingress", gw_lose.origin.namespace, gw_lose.origin.name),
                           provider="traefik",
                           detail=f"for {host}{sample} the routers for {a.match.path.type} "
                                  f"{a.match.path.value} and {b.match.path.type} {b.match.path.value} have "
                                  f"the same priority ({pa}): Traefik breaks the tie itself, so either may "
                                  f"have answered; Gateway API precedence chooses {gw_win.match.path.type} "
                                  f"{gw_win.match.path.value}")
            continue
        if gw_a == traefik_a:
            continue
        win, lose = (a, b) if traefik_a else (b, a)
        key = (id(win), id(lose))
        if key in seen:
            continue
        seen.add(key)
        report.add(Code.ROUTE_PRIORITY, location=lose.origin.location,
                   obj=ObjectRef("Ingress", lose.origin.namespace, lose.origin.name), provider="traefik",
                   detail=f"for {host}{sample} Traefik chose {win.match.path.type} "
                          f"{win.match.path.value} (priority {max(pa, pb)}) over {lose.match.path.type} "
                          f"{lose.match.path.value} (priority {min(pa, pb)}); Gateway API precedence "
                          "chooses the other")
