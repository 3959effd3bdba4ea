"""Shared test set-up: the location of ../shared (CRDs, schemas) and the --regen option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"


def shared_root() -> Path:
    return Path(os.environ.get("INGRESS2GW_SHARED") or REPO.parent / "shared")


def pytest_addoption(parser):
    parser.addoption("--regen", action="store_true", default=False,
                     help="Rewrite fixtures/*/*/expected/ from the current code (review the diff).")


@pytest.fixture(scope="session")
def regen(request) -> bool:
    return bool(request.config.getoption("--regen"))


def require_shared(sub: str) -> Path:
    path = shared_root() / sub
    if not path.exists():
        pytest.skip(f"{path} is not available: these checks need the shared CRD/schema bundle next to the "
                    "clone (../shared) or INGRESS2GW_SHARED; CI always has it")
    return path


_CRD_CACHE: dict = {}


def crdset_for(version: str, channel: str, extra: tuple[str, ...] = ()):
    """The CRDSet for a Gateway API version/channel (``1.6`` → ``v1.6.1``), cached per session."""
    from ingress2gw.validate import CRDSet

    key = (version, channel, extra)
    if key not in _CRD_CACHE:
        root = require_shared("crds")
        bundles = {"1.6": "v1.6.1", "1.2": "v1.2.1"}
        # Versions between the two bundles are checked against the older bundle when the case
        # uses no newer feature; the emitter's own gating is what the tests exercise.
        bundle = bundles.get(version) or ("v1.2.1" if version < "1.5" else "v1.6.1")
        sources = [root / "gateway-api" / bundle / channel] + [root / e for e in extra]
        _CRD_CACHE[key] = CRDSet.load(sources)
    return _CRD_CACHE[key]
