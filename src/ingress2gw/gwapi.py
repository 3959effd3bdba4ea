"""What each Gateway API version and channel can hold (facts from the CRDs of each release).

Emitters ask this module instead of comparing version strings themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6")
CHANNELS = ("standard", "experimental")
GROUP = "gateway.networking.k8s.io"


@dataclass(frozen=True)
class Target:
    version: str = "1.6"
    channel: str = "standard"

    @property
    def minor(self) -> int:
        return int(self.version.split(".")[1])

    def at_least(self, version: str, *, experimental_from: str | None = None) -> bool:
        minor = int(version.split(".")[1])
        if self.minor >= minor:
            return True
        if experimental_from is not None and self.channel == "experimental":
            return self.minor >= int(experimental_from.split(".")[1])
        return False

    # -- features used by the emitters --------------------------------------------------------
    @property
    def redirect_codes(self) -> tuple[int, ...]:
        """RequestRedirect.statusCode enum: 303/307/308 were added in v1.5 (both channels)."""
        return (301, 302, 303, 307, 308) if self.at_least("1.5") else (301, 302)

    @property
    def reference_grant_version(self) -> str:
        return "v1" if self.at_least("1.5") else "v1beta1"

    @property
    def listener_sets(self) -> bool:
        return self.at_least("1.5")

    @property
    def tls_route_version(self) -> str | None:
        """TLSRoute: v1 in both channels from v1.5, v1alpha2 in experimental before; absent otherwise."""
        if self.at_least("1.5"):
            return "v1"
        return "v1alpha2" if self.channel == "experimental" else None

    @property
    def stream_route_version(self) -> str | None:
        """TCPRoute/UDPRoute: v1 in both channels from v1.6 (v1alpha2 no longer served in standard), v1alpha2 in
        the experimental channel before; absent from the standard channel before v1.6."""
        if self.at_least("1.6"):
            return "v1"
        return "v1alpha2" if self.channel == "experimental" else None

    @property
    def matches_per_rule(self) -> int:
        return 64

    #: CEL on HTTPRoute (v1.2+): the total number of matches across all rules must stay below 128.
    max_total_matches: int = 127
    max_rules_per_route: int = 16
    max_listeners: int = 64
    max_hostnames: int = 16


def parse_version(text: str) -> str:
    """Accept ``1.6``, ``v1.6``, ``1.6.1``; return ``1.6``. Raises ValueError for unknown versions."""
    t = text.strip().lstrip("v")
    parts = t.split(".")
    if len(parts) < 2:
        raise ValueError(f"unknown Gateway API version {text!r}")
    short = f"{parts[0]}.{parts[1]}"
    if short not in VERSIONS:
        raise ValueError(f"unsupported Gateway API version {text!r} (supported: {', '.join(VERSIONS)})")
    return short
