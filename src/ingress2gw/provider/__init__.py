"""The translator base behind the public plugin API (``ingress2gw.plugin`` re-exports it).

- ``registry``: annotation declarations (``AnnotationRegistry``, ``AnnotationSpec``, ``AnnotationValue``).
- ``base``: ``IngressProvider`` (core Ingress spec, annotation dispatch, hooks), ``Context``, ``load_providers``.
- ``families``: ``load_families``, which imports a provider's annotation family modules.
"""
