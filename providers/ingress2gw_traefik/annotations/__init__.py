"""Annotation families: every module in this package declares its annotations when imported.

Modules are imported in name order; ``catalog_rest`` comes last and declares, as unsupported, every
catalog annotation no family module handles yet.
"""

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name != "catalog_rest":
        importlib.import_module(f"{__name__}.{_info.name}")
importlib.import_module(f"{__name__}.catalog_rest")
