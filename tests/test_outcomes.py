"""The outcome protocol: an emitter's typed answers are the only path from an intent to a finding.

- ``Report.findings`` cannot be changed in place, and no module outside ``report/`` reaches the list
  behind it; after the emitter ran, the pipeline only adds what ``report.derive`` returns.
- ``combine`` and ``derive_findings`` decide verdicts from outcome values alone (no message text).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingress2gw.model.ir import Origin, Pending, Timeouts
from ingress2gw.model.outcome import (
    Difference, Dimension, Ledger, Verdict, combine, exact, lossy, needs_policy, needs_version, policy, unsupported,
)
from ingress2gw.plugin import AnnotationSpec, IngressDraft, Status
from ingress2gw.report import Code, Report
from ingress2gw.report.derive import derive_findings
from ingress2gw.source.location import Location

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted((REPO / "src" / "ingress2gw").rglob("*.py")) + sorted((REPO / "providers").rglob("*.py"))


# -- nothing rewrites findings ----------------------------------------------------------------------------

_REWRITES = re.compile(r"\.findings\s*(\[[^\]]*\])?\s*=(?!=)|\.findings\.(append|remove|pop|insert|extend|clear|sort)"
                       r"\b|del\s+\S*findings|\._findings\b")


def test_no_module_outside_report_touches_the_findings_list():
    offenders = []
    for path in SOURCES:
        rel = path.relative_to(REPO).as_posix()
        if rel == "src/ingress2gw/report/findings.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if _REWRITES.search(code):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "findings are added with Report.add/extend only:\n" + "\n".join(offenders)


def test_the_scan_finds_a_rewrite():
    """The pattern above would catch the shapes that used to exist (so the test can fail)."""
    for line in ("report.findings[i] = replace(f)", "self.report.findings.remove(f)", "report.findings = out",
                 "report._findings.append(f)"):
        assert _REWRITES.search(line), line
    assert not _REWRITES.search("findings = report.sorted()")


def test_findings_view_is_read_only():
    report = Report()
    report.add(Code.ANNOTATION_TRANSLATED, location=Location("a.yaml", 1, 1))
    view = report.findings
    assert len(view) == 1 and view[0].code is Code.ANNOTATION_TRANSLATED
    with pytest.raises(TypeError):
        view[0] = view[0]  # type: ignore[index]
    for name in ("append", "remove", "pop", "insert", "clear", "sort"):
        assert not hasattr(view, name), name


def test_a_suppression_marks_a_finding_without_changing_it():
    from ingress2gw.report.findings import Suppression

    report = Report()
    first = report.add(Code.ANNOTATION_TRANSLATED, location=Location("a.yaml", 1, 1))
    report.add(Code.ANNOTATION_LOSSY, location=Location("a.yaml", 2, 1))
    s = Suppression("config", "accepted")
    assert report.suppress(lambda f: s if f.code is Code.ANNOTATION_LOSSY else None) == 1
    assert [f.suppression for f in report.findings] == [None, s]
    assert report.findings[-1:][0].suppression is s and report.findings[0] is first
    assert report.suppress(lambda f: s) == 1  # an already suppressed finding is not marked twice


def test_after_emission_the_pipeline_only_adds_derived_findings(monkeypatch):
    import ingress2gw.report.derive as derive
    from ingress2gw.pipeline import Options, run

    seen = {}
    real = derive.derive_findings

    def spy(drafts, ledger, emitter):
        out = real(drafts, ledger, emitter)
        seen["derived"] = out
        return out

    monkeypatch.setattr(derive, "derive_findings", spy)
    snapshots = []
    from ingress2gw.emitters.kgateway import KgatewayEmitter

    original_emit = KgatewayEmitter.emit

    def emit(self, plans):
        objects = original_emit(self, plans)
        snapshots.append(list(self.report.findings))
        return objects

    monkeypatch.setattr(KgatewayEmitter, "emit", emit)
    case = REPO / "fixtures" / "emitter-kgateway" / "nginx-policies" / "input.yaml"
    result = run(Options(paths=[str(case)], emitter="kgateway"))
    before = snapshots[0]
    after = list(result.report.findings)
    assert after[:len(before)] == before, "a finding filed before emission was changed or removed"
    assert after[len(before):] == seen["derived"], "after emission only the derived findings are added"
    assert seen["derived"], "the case has annotations decided by the emitter"


# -- combining outcomes ------------------------------------------------------------------------------------

def test_combine_keeps_the_worst_verdict_and_every_difference():
    a = exact()
    b = lossy("one", Dimension.TIMEOUT)
    c = policy("TrafficPolicy", differences=(Difference("two"),))
    o = combine([a, b, c])
    assert o.verdict is Verdict.POLICY and o.objects == ("TrafficPolicy",)
    assert [d.detail for d in o.differences] == ["one", "two"]
    assert combine([a, b]).verdict is Verdict.RENDERED and combine([a, b]).lossy
    assert not combine([a, exact()]).lossy
    # a refusal on one rule is a refusal of the setting (it applies to every path of its Ingress)
    assert combine([policy("X"), unsupported("no")]).verdict is Verdict.UNSUPPORTED
    assert combine([needs_version("v"), unsupported("u")]).verdict is Verdict.NEEDS_VERSION
    assert combine([needs_version("v"), needs_policy("p")]).reasons == ("p",)
    assert combine([]) is None


def test_field_answers_default_to_the_intents_outcome():
    o = policy("SecurityPolicy", fields={"signin": unsupported("no sign-in redirect")})
    assert o.answer("signin").verdict is Verdict.UNSUPPORTED
    assert o.answer("realm").verdict is Verdict.POLICY


# -- deriving findings --------------------------------------------------------------------------------------

def _origin(key: str, line: int) -> Origin:
    return Origin(namespace="app", name="web", annotation=key, location=Location("in.yaml", line, 5))


def _draft(*pending) -> IngressDraft:
    d = IngressDraft(origin=Origin(namespace="app", name="web", location=Location("in.yaml", 1, 1)),
                     provider="ingress-nginx", ingress_class="nginx", gateway="nginx", created="")
    d.pending = list(pending)
    return d


class _Value:
    def __init__(self, key: str, origin: Origin):
        self.key, self.origin, self.text = key, origin, "v"


def _spec(status: Status = Status.TRANSLATED) -> AnnotationSpec:
    return AnnotationSpec("x", "area", status, maps_to="HTTPRoute", remediation="do it by hand")


def _derive(ledger: Ledger, *values, emitter: str = "kgateway", status: Status = Status.TRANSLATED):
    return derive_findings([_draft(*[Pending(_spec(status), v) for v in values])], ledger, emitter)


def test_verdicts_come_from_outcomes():
    main = _origin("a/proxy-read-timeout", 10)
    intent = Timeouts(backend_request="60s", origin=main)
    cases = [
        ([exact()], Code.ANNOTATION_TRANSLATED),
        ([exact(), lossy("idle vs total", Dimension.TIMEOUT)], Code.ANNOTATION_LOSSY),
        ([policy("TrafficPolicy")], Code.ANNOTATION_POLICY_EMITTED),
        ([policy("TrafficPolicy", differences=(Difference("differs"),))], Code.ANNOTATION_LOSSY),
        ([needs_version("needs Gateway API >= 1.5")], Code.ANNOTATION_NEEDS_VERSION),
        ([needs_policy("needs a policy")], Code.ANNOTATION_POLICY),
        ([exact(), unsupported("cannot")], Code.ANNOTATION_UNSUPPORTED),
    ]
    for outcomes, code in cases:
        ledger = Ledger()
        for o in outcomes:
            ledger.record(intent, o)
        (f,) = _derive(ledger, _Value("a/proxy-read-timeout", main))
        assert f.code is code, (outcomes, f)
        assert f.location == main.location


def test_a_provider_caveat_makes_a_rendering_lossy_unless_the_emitter_voids_it():
    main = _origin("a/k", 3)
    intent = Timeouts(backend_request="60s", origin=main, caveat="NGINX timed the gap between reads")
    ledger = Ledger()
    ledger.record(intent, exact())
    (f,) = _derive(ledger, _Value("a/k", main))
    assert f.code is Code.ANNOTATION_LOSSY and "gap between reads" in f.message
    ledger.void_caveat(intent)
    (f,) = _derive(ledger, _Value("a/k", main))
    assert f.code is Code.ANNOTATION_TRANSLATED
    refused = Ledger()
    refused.record(intent, unsupported("no"))
    (f,) = _derive(refused, _Value("a/k", main))
    assert f.code is Code.ANNOTATION_UNSUPPORTED and "gap" not in f.message


def test_companion_keys_follow_the_answer_for_their_field():
    from ingress2gw.model.policies import FAMILIES

    main, signin, headers = _origin("a/auth-url", 5), _origin("a/auth-signin", 6), _origin("a/auth-response-headers", 7)
    cls = FAMILIES["ext-auth"]
    intent = cls(origin=main, url="http://auth.app.svc:80/check",
                 field_origins=(("signin", signin), ("response_headers", headers)))
    ledger = Ledger()
    ledger.record(intent, policy("SecurityPolicy", fields={"signin": unsupported("no sign-in redirect: 401")}))
    found = {f.annotation: f for f in _derive(ledger, _Value("a/auth-url", main), _Value("a/auth-signin", signin),
                                               _Value("a/auth-response-headers", headers))}
    assert found["a/auth-url"].code is Code.ANNOTATION_POLICY_EMITTED
    assert found["a/auth-signin"].code is Code.ANNOTATION_UNSUPPORTED
    assert "401" in found["a/auth-signin"].message
    assert found["a/auth-response-headers"].code is Code.ANNOTATION_POLICY_EMITTED


def test_an_annotation_without_any_answer_had_no_effect():
    (f,) = _derive(Ledger(), _Value("a/k", _origin("a/k", 9)))
    assert f.code is Code.ANNOTATION_IGNORED and "none of the Ingress's rules" in f.message


def test_standing_findings_yield_only_as_declared():
    origin = _origin("mw/headers", 4)
    standing = Report().add(Code.ANNOTATION_LOSSY, location=origin.location, detail="said while reading")
    intent = Timeouts(request="1s", origin=origin)
    rendered = Ledger()
    rendered.record(intent, exact())
    pend = lambda yields: [_draft(Pending(_spec(), _Value("mw/headers", origin), standing, yields))]  # noqa: E731
    # "kept": an exact rendering of the Middleware's translation does not replace what was said of it
    (f,) = derive_findings(pend("kept"), rendered, "standard")
    assert f is standing
    kept = Ledger()
    kept.keep(origin, "Middleware app/headers (kept, ExtensionRef)")
    (f,) = derive_findings(pend("kept"), kept, "traefik")
    assert f.code is Code.ANNOTATION_POLICY_EMITTED and "kept" in f.message
    # "held": the emitter's holding replaces it, a refusal does not
    (f,) = derive_findings(pend("held"), rendered, "kgateway")
    assert f.code is Code.ANNOTATION_TRANSLATED
    refused = Ledger()
    refused.record(intent, needs_policy("needs a policy"))
    (f,) = derive_findings(pend("held"), refused, "standard")
    assert f is standing


# -- dimensions ---------------------------------------------------------------------------------------------

def test_every_kind_of_intent_says_what_it_may_change():
    import ingress2gw.model.ir as ir
    from ingress2gw.model.outcome import DIMENSIONS
    from ingress2gw.model.policies import FAMILIES

    intents = [n for n in ir.__all__ if isinstance(getattr(ir, n), type) and issubclass(getattr(ir, n), ir.Intent)
               and n not in ("Intent", "PolicyIntent", "HeaderModifier")]
    missing = [n for n in [*intents, *FAMILIES] if n not in DIMENSIONS]
    assert not missing, f"no entry in outcome.DIMENSIONS for {missing}"


def test_a_difference_without_dimensions_gets_the_intents():
    main = _origin("a/proxy-read-timeout", 10)
    ledger = Ledger()
    ledger.record(Timeouts(backend_request="60s", origin=main), lossy("bounds the whole response"))
    ledger.record(Timeouts(backend_request="60s", origin=main, caveat="gap between reads"), exact())
    (outcomes,) = ledger.by_origin().values()
    assert combine(outcomes).changes == {Dimension.TIMEOUT}
    explicit = Ledger()
    explicit.record(Timeouts(request="1s", origin=main), lossy("cut", Dimension.ROUTE))
    assert explicit.about(Timeouts(request="1s", origin=main)).changes == {Dimension.ROUTE}


def test_a_companion_key_is_not_translated_when_its_main_setting_is_not(tmp_path):
    """session-cookie-name sets a field of affinity's sessionPersistence: on the standard channel (no
    sessionPersistence) it is not 'translated' while affinity needs the experimental channel."""
    from ingress2gw.pipeline import Options, run

    src = tmp_path / "in.yaml"
    src.write_text("""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: app
  annotations:
    nginx.ingress.kubernetes.io/affinity: cookie
    nginx.ingress.kubernetes.io/session-cookie-name: SID
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
""")
    codes = {f.annotation.rsplit("/", 1)[-1]: f.code for f in run(Options(paths=[str(src)])).report.findings
             if f.annotation}
    assert codes["affinity"] is Code.ANNOTATION_NEEDS_VERSION
    assert codes["session-cookie-name"] is Code.ANNOTATION_NEEDS_VERSION
    from ingress2gw.gwapi import Target

    codes = {f.annotation.rsplit("/", 1)[-1]: f.code for f in run(Options(
        paths=[str(src)], target=Target("1.6", "experimental"))).report.findings if f.annotation}
    # rendered: the cookie name is kept exactly; what differs about affinity is affinity's own finding
    assert codes["affinity"] is Code.ANNOTATION_LOSSY
    assert codes["session-cookie-name"] is Code.ANNOTATION_TRANSLATED


# -- settings the controller applied without an annotation ------------------------------------------------------

def test_a_controller_default_is_said_once_per_object_and_only_where_something_changes():
    from ingress2gw.model.ir import IdleTimeout

    dflt = Origin(namespace="app", name="web", location=Location("in.yaml", 1, 1), default="proxy-read-timeout 60s")
    ledger = Ledger()
    for _ in range(3):  # one answer per rule
        ledger.record(IdleTimeout(read="60s", origin=dflt), lossy("a silent backend is no longer cut off"))
    (f,) = derive_findings([_draft()], ledger, "standard")
    assert f.code is Code.CONTROLLER_DEFAULT_LOSSY
    assert f.message == "proxy-read-timeout 60s: a silent backend is no longer cut off"
    assert f.obj.name == "web" and f.location == dflt.location and f.provider == "ingress-nginx" and not f.annotation
    held = Ledger()  # rendered as the controller applied it: nothing to say
    held.record(IdleTimeout(read="60s", origin=dflt), policy("TrafficPolicy"))
    assert derive_findings([_draft()], held, "kgateway") == []
    refused = Ledger()
    refused.record(IdleTimeout(read="60s", origin=dflt), unsupported("GRPCRoute has no timeouts"))
    (f,) = derive_findings([_draft()], refused, "standard")
    assert f.code is Code.CONTROLLER_DEFAULT_LOSSY and f.message.endswith("GRPCRoute has no timeouts")


def test_a_key_declared_lossy_is_translated_where_the_emitter_holds_it_as_the_source_did():
    from ingress2gw.model.ir import IdleTimeout

    main = _origin("a/proxy-read-timeout", 4)
    ledger = Ledger()
    ledger.record(intent := IdleTimeout(read="60s", origin=main), exact())
    (f,) = _derive(ledger, _Value("a/proxy-read-timeout", main), status=Status.LOSSY)
    assert f.code is Code.ANNOTATION_LOSSY  # the registry's declaration (for Gateway API) stands
    ledger.void_caveat(intent)  # NGF: NGINX's own proxy_read_timeout
    (f,) = _derive(ledger, _Value("a/proxy-read-timeout", main), status=Status.LOSSY, emitter="nginx-gateway-fabric")
    assert f.code is Code.ANNOTATION_TRANSLATED and "nginx-gateway-fabric" in f.message
