"""Annotation families: every module in this package declares its annotations (next to their handlers) when
imported."""

from ingress2gw.plugin import load_families

load_families(__name__)
