"""Loading a provider's annotation family modules (``load_families(__name__)`` in its ``annotations/__init__.py``)."""

from __future__ import annotations

import importlib
import pkgutil


def load_families(package: str) -> list[str]:
    """Import every module of ``package`` (one annotation family each; each declares its keys when imported),
    in name order, skipping private modules (``_read``); returns the names imported."""
    pkg = importlib.import_module(package)
    names = [m.name for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name)
             if not m.name.startswith("_")]
    for name in names:
        importlib.import_module(f"{package}.{name}")
    return names
