"""Run the ingress-nginx provider on YAML text: configure + translate each Ingress (no passes, no emitter)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def nginx(tmp_path: Path):
    from ingress2gw.plugin import Context, Report
    from ingress2gw.source.loader import load_paths
    from ingress2gw.source.objects import build_inventory
    from ingress2gw_nginx import provider

    def run(text: str, **options):
        src = tmp_path / "in.yaml"
        src.write_text(textwrap.dedent(text))
        paths = [str(src)]
        if options.get("controller_config_text"):
            cfg = tmp_path / "controller.yaml"
            cfg.write_text(textwrap.dedent(options.pop("controller_config_text")))
            options["controller_config"] = str(cfg)
            paths.append(str(cfg))
        report = Report()
        inventory = build_inventory(load_paths(paths).documents, report)
        ctx = Context(inventory=inventory, options=options)
        provider.configure(ctx, report)
        drafts = [provider.translate(ing, ctx, report, "nginx", "nginx") for ing in inventory.ingresses]
        return report, drafts, ctx

    return run


def ingress(annotations: dict[str, str], *, name: str = "web", namespace: str = "shop", tls: bool = False,
            prefix: str = "nginx.ingress.kubernetes.io/") -> str:
    """An Ingress with one host and two paths, and the given annotations (keys without the prefix, unless
    they contain a slash)."""
    import json

    anns = "\n".join(f"    {(k if '/' in k else prefix + k)}: {json.dumps(v)}" for k, v in annotations.items())
    tls_block = "  tls:\n  - hosts: [web.example.com]\n    secretName: web-tls\n" if tls else ""
    return f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {namespace}
  annotations:
{anns or '    x: y'}
spec:
  ingressClassName: nginx
{tls_block}  rules:
  - host: web.example.com
    http:
      paths:
      - path: /a
        pathType: Prefix
        backend: {{service: {{name: web, port: {{number: 80}}}}}}
      - path: /b
        pathType: Prefix
        backend: {{service: {{name: web, port: {{number: 80}}}}}}
"""


def codes_for(report, key: str) -> list[str]:
    return [f.code.value for f in report.findings if f.annotation.endswith(key)]


def policies(drafts, family: str) -> list:
    return [i for d in drafts for r in d.rules for i in r.intents if getattr(i, "family", None) == family]
