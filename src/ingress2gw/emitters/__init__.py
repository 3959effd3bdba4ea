"""Emitters: host plans → plain dicts of Gateway API (and implementation) objects."""
