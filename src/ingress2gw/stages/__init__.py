"""The stages between the inventory and the emitter, each named for what it does:

- ``ownership``: which provider converts which Ingress (and why the others are skipped);
- ``translate``: each owner's provider turns its Ingresses into drafts, then sees them all together;
- ``merge``: the drafts of every Ingress become per-Gateway host plans.

Only ``ingress2gw.pipeline`` knows their order.
"""
