"""Developer tools: ``python -m ingress2gw.devtools gen-docs [--check]``."""
