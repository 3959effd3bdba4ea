"""Istio AuthorizationPolicies scoped to exactly the requests of the rules they came from.

An AuthorizationPolicy attaches to the Gateway, never to an HTTPRoute, so each DENY rule is narrowed
inside the object: the rule's host (with or without a port in the Host header), its paths, its header
matches, minus the hosts with their own listener (for catch-all rules) and minus the more specific rules
of the same host that do not carry the setting (those requests are routed, and were allowed, elsewhere).
When that cannot be written exactly the setting is refused for the rule, with the reason. A mixin of
the Istio emitter.
"""

from __future__ import annotations

from ingress2gw.emitters.naming import fit
from ingress2gw.emitters.standard import GROUP, _meta
from ingress2gw.model.ir import RuleDraft


def host_patterns(host: str) -> list[str]:
    """Istio ``hosts`` entries matching a hostname with or without a port in the Host header."""
    if host.startswith("*."):
        return [host, f"{host}:80", f"{host}:443"]  # one wildcard per entry: list the listener ports
    return [host, f"{host}:*"]


def covers(host: str | None, other: str) -> bool:
    """Whether a listener for ``host`` (None: no hostname) would also receive ``other``'s requests."""
    if host is None:
        return True
    if host.startswith("*."):
        return other != host and other.endswith(host[1:])
    return False


class AuthorizationScoping:
    def _host_rules(self, gw, host) -> tuple[list[RuleDraft], dict[int, set[int]], dict]:
        """The rules of a host on a Gateway, the listener ports of each rule, and the plan's hosts."""
        gp = self._plans.get(gw)
        hosts = getattr(gp, "hosts", {}) or {}
        hp = hosts.get(host)
        ports: dict[int, set[int]] = {}
        rules: list[RuleDraft] = []
        for port, group in ((80, getattr(hp, "http_rules", [])), (443, getattr(hp, "https_rules", []))):
            for r in group:
                if id(r) not in ports:
                    rules.append(r)
                ports.setdefault(id(r), set()).add(port)
        return rules, ports, hosts

    def _scope(self, gw, rule: RuleDraft, covered: set[int]) -> dict | None | str:
        """``to``/``when`` of a DENY rule receiving exactly what ``rule`` receives (None: another covered
        rule already spans it), or why that cannot be written."""
        rules, ports, hosts = self._host_rules(gw, rule.host)
        m = rule.match
        when = []
        if m.headers:
            if any(id(r) in covered and r.match.path == m.path and not r.match.headers for r in rules):
                return None  # the same path without header conditions is denied already
            for h in m.headers:
                if h.type != "Exact" or "*" in h.value:
                    return (f"the rule also matches header {h.name} by {h.type} {h.value!r}, which Istio "
                            "authorization conditions cannot express")
                when.append({"key": f"request.headers[{h.name}]", "values": [h.value]})
        op: dict = {}
        if rule.host is not None:
            op["hosts"] = host_patterns(rule.host)
        # Hosts with their own listener never reach this rule's listener.
        my_ports = ports.get(id(rule), {80, 443})
        not_hosts = []
        for other in sorted(h for h in hosts if h is not None and h != rule.host and covers(rule.host, h)):
            hp = hosts[other]
            theirs = ({80} if hp.http_rules else set()) | ({443} if hp.https_rules else set())
            if not theirs:
                continue
            if not my_ports <= theirs:
                return (f"host {other} has its own listener on only some of the ports this rule serves, so "
                        "the rule receives its requests on the others; Istio authorization cannot tell ports apart")
            not_hosts += host_patterns(other)
        if not_hosts:
            op["notHosts"] = not_hosts
        p = m.path.value
        prefix = m.path.type == "PathPrefix"
        base = p.rstrip("/") if prefix else p
        if prefix and base:
            op["paths"] = [base, base + "/*"]
        elif not prefix:
            op["paths"] = [p]
        # More specific rules of the host win over this one: leave their paths out (or refuse).
        not_paths: list[str] = []
        for s in rules:
            shared = ports.get(id(s), set()) & my_ports
            if s is rule or id(s) in covered or not shared:
                continue  # on other listeners, rules never compete
            sm = s.match
            if sm.path.type == "RegularExpression":
                return (f"host {rule.host or '*'} also has regular-expression rules ({sm.path.value}) whose "
                        "precedence over this rule Istio decides; the policy cannot be scoped to this rule")
            sv = sm.path.value
            inside = (sv == base or sv.startswith(base + "/") or not base) if prefix else sv == p
            if not inside:
                continue
            same_path = (sm.path.type == m.path.type and
                         (sv.rstrip("/") == base if prefix else sv == p))
            if same_path and sm.headers and m.headers and len(sm.headers) == len(m.headers):
                return (f"rule {sv} of Ingress {s.origin.key} matches other headers with the same precedence; "
                        "which rule answers a request carrying both is decided by age, not by Istio authorization")
            if sm.path.type == "Exact" and (prefix or len(sm.headers) > len(m.headers)):
                more = True
            elif sm.path.type == "PathPrefix" and prefix:
                sb = sv.rstrip("/")
                more = len(sb) > len(base) or (sb == base and len(sm.headers) > len(m.headers))
            else:
                more = False
            if not more:
                continue
            if shared != my_ports:
                return (f"rule {sv} of Ingress {s.origin.key} takes precedence over this rule on only some of its "
                        "ports; Istio authorization cannot tell ports apart")
            if sm.headers or "*" in sv:
                return (f"rule {sv} of Ingress {s.origin.key} takes precedence for some requests of this rule "
                        "(header conditions); Istio authorization cannot leave out just those requests")
            not_paths += [sv] if sm.path.type == "Exact" else [sv.rstrip("/"), sv.rstrip("/") + "/*"]
        if not_paths:
            op["notPaths"] = list(dict.fromkeys(not_paths))
        scope: dict = {}
        if op:
            scope["to"] = [{"operation": op}]
        if when:
            scope["when"] = when
        return scope

    def gateway_policies(self) -> list[dict]:
        out = []
        for (gw_ns, gw_name, api, kind, key), entries in sorted(self.gateway_pieces.items()):
            gw = (gw_ns, gw_name)
            unique: dict[tuple, tuple] = {}
            for piece, rule in entries:
                unique.setdefault((id(rule), piece), (piece, rule))
            entries = sorted(unique.values(), key=lambda e: (e[1].host or "", e[1].match.sort_key(), e[1].origin.key))
            covered = {id(r) for _, r in entries}
            statements: list[dict] = []
            sources: list[str] = []
            action = ""
            for piece, rule in entries:
                scope = self._scope(gw, rule, covered)
                if isinstance(scope, str):
                    self._refuse([(piece, rule)], f"{rule.host or '*'} {rule.match.path.value}: {scope}")
                    continue
                if rule.origin.key not in sources:
                    sources.append(rule.origin.key)
                if scope is None:
                    continue
                action = piece.fragment["action"]
                statement = {"from": [{"source": piece.fragment["source"]}], **scope}
                # Operations of one rule are alternatives: rules that differ only there share a statement.
                twin = next((st for st in statements if "to" in st and "to" in statement
                             and {**st, "to": None} == {**statement, "to": None}), None)
                if twin is not None:
                    for op in statement["to"]:
                        same = next((t for t in twin["to"] if "paths" in t["operation"] and "paths" in op["operation"]
                                     and {**t["operation"], "paths": None} == {**op["operation"], "paths": None}), None)
                        if same is not None:  # same hosts and exclusions: one operation, more paths
                            same["operation"]["paths"] += [x for x in op["operation"]["paths"]
                                                           if x not in same["operation"]["paths"]]
                        elif op not in twin["to"]:
                            twin["to"].append(op)
                elif statement not in statements:
                    statements.append(statement)
            if not statements:
                continue
            target = [{"group": GROUP, "kind": "Gateway", "name": n} for n in self._gateway_names.get(gw, [gw_name])]
            out.append({"apiVersion": api, "kind": kind, "metadata": _meta(fit(f"{gw_name}--{key}"), gw_ns, sources),
                        "spec": {"targetRefs": target[:16], "action": action, "rules": statements}})
        return out
