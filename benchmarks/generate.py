"""Generate realistic cluster dumps for the benchmarks (run by hand, not part of pytest).

    python benchmarks/generate.py --count 1000 --format list --out /tmp/bench/ing-1k.yaml
    python benchmarks/generate.py --count 1000 --format dir  --out /tmp/bench/ing-1k-dir
    python benchmarks/generate.py --count 1000 --format json --out /tmp/bench/ing-1k.json

``list`` looks like ``kubectl get ingress,ingressclass,service -A -o yaml``: one ``kind: List`` document with the
server noise (managedFields, last-applied-configuration, status, uid, resourceVersion, creationTimestamp), keys
sorted the way kubectl prints them. ``json`` is the same data as ``-o json``. ``dir`` is a GitOps-style tree
(one directory per namespace, one multi-document file per app: Ingress + Service, no server noise).

The output is a pure function of ``--count`` and ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import uuid

import yaml  # PyYAML is only used to print the fixtures; the product does not depend on it.

NGINX = "nginx.ingress.kubernetes.io/"
WORDS = (
    "shop cart pay auth api web admin search media cdn billing orders users catalog checkout inventory "
    "reports metrics grafana docs blog status mail chat events notify profile gateway edge sso"
).split()
TEAMS = "alpha beta gamma delta omega core platform data growth infra".split()


def _ts(rng: random.Random) -> str:
    return (
        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    )


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _fields(d: dict) -> dict:
    """managedFields.fieldsV1 shape for a manifest: every key becomes ``f:key`` and lists of named items ``k:``."""
    out: dict = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out[f"f:{k}"] = {".": {}, **_fields(v)} if v else {}
        elif isinstance(v, list):
            item: dict = {}
            for x in v:
                if isinstance(x, dict) and "name" in x:
                    item[f'k:{{"name":"{x["name"]}"}}'] = {".": {}, **_fields(x)}
            out[f"f:{k}"] = item
        else:
            out[f"f:{k}"] = {}
    return out


def _annotations(rng: random.Random, host: str) -> dict[str, str]:
    a = {NGINX + "rewrite-target": rng.choice(["/", "/$2", "/$1"])} if rng.random() < 0.5 else {}
    if rng.random() < 0.6:
        a[NGINX + "ssl-redirect"] = rng.choice(["true", "false"])
    if rng.random() < 0.5:
        a[NGINX + "proxy-body-size"] = rng.choice(["1m", "8m", "50m", "0"])
    if rng.random() < 0.3:
        a[NGINX + "enable-cors"] = "true"
        a[NGINX + "cors-allow-origin"] = f"https://{host}, https://admin.{host}"
        a[NGINX + "cors-allow-methods"] = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
    if rng.random() < 0.2:
        a[NGINX + "auth-url"] = "https://auth.example.com/oauth2/auth"
        a[NGINX + "auth-signin"] = "https://auth.example.com/oauth2/start?rd=$escaped_request_uri"
    if rng.random() < 0.3:
        a[NGINX + "proxy-read-timeout"] = str(rng.choice([30, 60, 120, 3600]))
    if rng.random() < 0.1:
        a[NGINX + "canary"] = "true"
        a[NGINX + "canary-weight"] = str(rng.choice([5, 10, 25, 50]))
    if rng.random() < 0.2:
        a["cert-manager.io/cluster-issuer"] = "letsencrypt-prod"
    return a


def make_app(rng: random.Random, i: int, namespaces: list[str]) -> tuple[dict, dict]:
    ns = namespaces[i % len(namespaces)]
    name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i}"
    host = f"{name}.{ns}.example.com"
    port_name = rng.choice(["http", "web", "api"])
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": ns, "team": rng.choice(TEAMS)}
    paths = []
    for j in range(rng.randint(1, 4)):
        backend_port = {"name": port_name} if rng.random() < 0.7 else {"number": 8080}
        paths.append(
            {
                "backend": {"service": {"name": name, "port": backend_port}},
                "path": "/" if j == 0 else f"/{rng.choice(WORDS)}(/|$)(.*)",
                "pathType": rng.choice(["Prefix", "ImplementationSpecific", "Exact"]) if j else "Prefix",
            }
        )
    rules = [{"host": host, "http": {"paths": paths}}]
    if rng.random() < 0.3:
        rules.append({"host": f"www.{host}", "http": {"paths": paths[:1]}})
    spec: dict = {"ingressClassName": "nginx", "rules": rules}
    if rng.random() < 0.7:
        spec["tls"] = [{"hosts": [r["host"] for r in rules], "secretName": f"{name}-tls"}]
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"annotations": _annotations(rng, host), "labels": labels, "name": name, "namespace": ns},
        "spec": spec,
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"labels": labels, "name": name, "namespace": ns},
        "spec": {
            "ports": [{"name": port_name, "port": 80, "protocol": "TCP", "targetPort": 8080}],
            "selector": {"app.kubernetes.io/name": name},
            "type": "ClusterIP",
        },
    }
    return ingress, service


def add_noise(rng: random.Random, obj: dict, kind: str) -> dict:
    """What the API server adds, and what ``kubectl apply`` leaves behind."""
    manifest = json.loads(json.dumps(obj))
    meta = obj["metadata"]
    ts = _ts(rng)
    last = json.dumps(manifest, separators=(",", ":"), sort_keys=True) + "\n"
    meta.setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = last
    meta["creationTimestamp"] = ts
    meta["generation"] = rng.randint(1, 9) if kind == "Ingress" else None
    if meta["generation"] is None:
        del meta["generation"]
    meta["managedFields"] = [
        {
            "apiVersion": obj["apiVersion"],
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": _fields({k: v for k, v in meta.items() if k in ("annotations", "labels")}),
                         "f:spec": _fields(obj.get("spec", {}))},
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "time": ts,
        }
    ]
    if kind == "Ingress":
        meta["managedFields"].append(
            {
                "apiVersion": obj["apiVersion"],
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:status": {"f:loadBalancer": {"f:ingress": {}}}},
                "manager": "nginx-ingress-controller",
                "operation": "Update",
                "subresource": "status",
                "time": ts,
            }
        )
        obj["status"] = {"loadBalancer": {"ingress": [{"ip": f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"}]}}
    else:
        obj["spec"]["clusterIP"] = f"10.96.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        obj["spec"]["clusterIPs"] = [obj["spec"]["clusterIP"]]
        obj["spec"]["internalTrafficPolicy"] = "Cluster"
        obj["spec"]["ipFamilies"] = ["IPv4"]
        obj["spec"]["ipFamilyPolicy"] = "SingleStack"
        obj["spec"]["sessionAffinity"] = "None"
        obj["status"] = {"loadBalancer": {}}
    meta["resourceVersion"] = str(rng.randint(10_000, 99_999_999))
    meta["uid"] = _uid(rng)
    return obj


def ingress_classes(rng: random.Random) -> list[dict]:
    out = []
    for name, ctrl in (("nginx", "k8s.io/ingress-nginx"), ("nginx-internal", "k8s.io/ingress-nginx")):
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {
                    "annotations": {"ingressclass.kubernetes.io/is-default-class": str(name == "nginx").lower()},
                    "creationTimestamp": _ts(rng),
                    "generation": 1,
                    "labels": {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx"},
                    "name": name,
                    "resourceVersion": str(rng.randint(1000, 9999)),
                    "uid": _uid(rng),
                },
                "spec": {"controller": ctrl},
            }
        )
    return out


def _sorted(obj):
    """kubectl prints map keys sorted (the object went through encoding/json)."""
    if isinstance(obj, dict):
        return {k: _sorted(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [_sorted(x) for x in obj]
    return obj


class _Dumper(yaml.CSafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, s: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None)


_Dumper.add_representer(str, _str)


def _yaml(data, explicit_start: bool = False) -> str:
    return yaml.dump_all(
        data, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=1 << 30,
        allow_unicode=True, explicit_start=explicit_start,
    )


def generate(count: int, seed: int, namespaces: int = 50) -> tuple[list[dict], list[tuple[dict, dict]]]:
    rng = random.Random(seed)
    nss = [f"{rng.choice(TEAMS)}-{rng.choice(WORDS)}-{n}" for n in range(namespaces)]
    apps = [make_app(rng, i, nss) for i in range(count)]
    return ingress_classes(rng), apps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=1000, help="number of Ingresses")
    p.add_argument("--format", choices=("list", "dir", "json"), default="list")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--namespaces", type=int, default=50)
    a = p.parse_args(argv)
    classes, apps = generate(a.count, a.seed, a.namespaces)
    if a.format == "dir":
        for ing, svc in apps:
            d = os.path.join(a.out, ing["metadata"]["namespace"])
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, ing["metadata"]["name"] + ".yaml"), "w", encoding="utf-8") as f:
                f.write(_yaml([svc, ing], explicit_start=True))
        with open(os.path.join(a.out, "ingressclasses.yaml"), "w", encoding="utf-8") as f:
            f.write(_yaml(classes, explicit_start=True))
        print(f"wrote {len(apps)} apps under {a.out}", file=sys.stderr)
        return 0
    rng = random.Random(a.seed + 1)
    # kubectl groups by resource type in the order asked: ingress, ingressclass, service
    items = [add_noise(rng, ing, "Ingress") for ing, _ in apps] + classes
    items += [add_noise(rng, svc, "Service") for _, svc in apps]
    doc = {"apiVersion": "v1", "items": [_sorted(x) for x in items], "kind": "List",
           "metadata": {"resourceVersion": ""}}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        if a.format == "json":
            json.dump(doc, f, indent=4, ensure_ascii=False)
            f.write("\n")
        else:
            f.write(_yaml([doc]))
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
