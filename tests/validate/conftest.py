"""Fixtures for the validate tests.

The CRD bundles live outside the repository (``../shared/crds`` next to the clone, or
``$INGRESS2GW_SHARED/crds``).  Tests that need them skip with a clear reason when absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingress2gw.validate import CRDSet

REPO = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    return Path(os.environ.get("INGRESS2GW_SHARED") or REPO.parent / "shared")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    d = _shared()
    if not (d / "crds").is_dir():
        pytest.skip(f"CRD bundles not available: {d / 'crds'} does not exist "
                    "(set INGRESS2GW_SHARED to a directory containing crds/)")
    return d


@pytest.fixture(scope="session")
def crds_dir(shared_dir: Path) -> Path:
    return shared_dir / "crds"


_CACHE: dict[tuple[str, ...], CRDSet] = {}


@pytest.fixture(scope="session")
def crd_set(crds_dir: Path):
    """``crd_set(gw_version, channel, *projects)`` -> CRDSet (cached for the session)."""

    def make(version: str = "v1.6.1", channel: str = "standard", *projects: str) -> CRDSet:
        key = (version, channel, *projects)
        if key not in _CACHE:
            sources = [crds_dir / "gateway-api" / version / channel]
            for p in projects:
                sources.extend(sorted((crds_dir / p).iterdir()))
            _CACHE[key] = CRDSet.load(sources)
        return _CACHE[key]

    return make
