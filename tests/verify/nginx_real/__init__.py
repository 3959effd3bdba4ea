"""Ground truth for the ingress-nginx simulator: real NGINX, configured the way the controller configures it.

- ``render``: the ``server``/``location`` blocks ingress-nginx generates for a set of Ingresses (plain NGINX: the
  controller's Lua parts are written as NGINX directives that do the same thing).
- ``echo``: one small HTTP server per Service:port that answers with what it received.
- ``harness``: certificates (openssl), the NGINX process, and a client that replays ``verify`` requests and turns
  the answers into ``Decision`` objects.

Used by ``tests/verify/test_nginx_ground_truth.py``.
"""
