"""Offline stand-in for ``kubectl apply --dry-run=server``: validate objects against CRDs.

Checks the structural ``openAPIV3Schema`` (types, formats, value validations, unknown fields,
list-map keys, defaults) and every CEL rule in ``x-kubernetes-validations``.  See
``docs/validate.md``.
"""

from .crds import CRDLoadError, CRDSet, CRDVersion, is_builtin, validate_object
from .problem import Problem

__all__ = ["CRDSet", "CRDVersion", "CRDLoadError", "Problem", "validate_object", "is_builtin"]
