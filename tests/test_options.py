"""Options are declared once (``OptionSpec``): the core ones in ``ingress2gw.options``, the others by the providers
and emitters that read them. A third-party provider adds a flag by declaring it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingress2gw import cli
from ingress2gw.options import CORE_OPTIONS, OptionSpec, OptionValues, plugin_options
from ingress2gw.plugin import AnnotationRegistry, Context, IngressProvider, load_providers

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: haproxy
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""

SEEN: list = []


class HAProxy(IngressProvider):
    name = "haproxy"
    controllers = ("haproxy.org/ingress-controller",)
    class_names = ("haproxy",)
    registry = AnnotationRegistry("haproxy", "haproxy.org/")
    options = (OptionSpec("haproxy_balance", "--haproxy-balance", str, "roundrobin", "HAProxy's balance algorithm.",
                          choices=("roundrobin", "leastconn")),)

    def configure(self, ctx: Context, report) -> None:
        SEEN.append(ctx.option("haproxy_balance"))


@pytest.fixture()
def haproxy(monkeypatch):
    import ingress2gw.plugin

    real = load_providers()
    monkeypatch.setattr(ingress2gw.plugin, "load_providers", lambda: {"haproxy": HAProxy(), **real})
    monkeypatch.setattr(cli, "_plugin_cache", [])
    SEEN.clear()
    yield
    cli._plugin_cache.clear()


def test_a_third_party_provider_adds_a_flag(haproxy, tmp_path: Path):
    src = tmp_path / "in.yaml"
    src.write_text(INGRESS)
    runner = CliRunner()
    r = runner.invoke(cli.app, ["convert", "--help"])
    assert "--haproxy-balance" in r.output
    r = runner.invoke(cli.app, ["convert", str(src), "--haproxy-balance", "leastconn", "-q"])
    assert r.exit_code == 0, r.output
    assert SEEN == ["leastconn"]
    r = runner.invoke(cli.app, ["check", str(src), "-q", "--fail-on", "never"])
    assert SEEN[-1] == "roundrobin"  # the declared default


def test_a_choice_outside_the_declared_ones_is_a_usage_error_naming_the_flag(haproxy, tmp_path: Path):
    src = tmp_path / "in.yaml"
    src.write_text(INGRESS)
    r = CliRunner().invoke(cli.app, ["convert", str(src), "--haproxy-balance", "random"])
    assert r.exit_code == 2
    assert "--haproxy-balance must be roundrobin or leastconn" in r.output


def test_reading_an_undeclared_option_fails():
    values = OptionValues(plugin_options(emitters=()), {"regex_mode": "strict"})
    assert values.regex_mode == "strict" and values.annotations_prefix is None
    with pytest.raises(AttributeError):
        values.regexmode
    with pytest.raises(KeyError):
        OptionValues(plugin_options(emitters=()), {"not_declared": 1})


def test_every_flag_and_config_key_is_declared_once():
    specs = [*CORE_OPTIONS, *plugin_options()]
    flags = [s.flag for s in specs]
    keys = [s.key for s in specs if s.key]
    assert len(flags) == len(set(flags)) and len(keys) == len(set(keys))
    owners = {s.name: s.owner for s in specs}
    assert owners["regex_mode"] == "ingress-nginx" and owners["allow_snippets"] == "nginx-gateway-fabric"
    assert owners["traefik_entrypoints"] == "traefik" and owners["channel"] == "core"
