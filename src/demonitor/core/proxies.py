"""Who is asking, when a request may have come through reverse proxies.

``X-Forwarded-For`` is a list any client can write; only the entries that trusted proxies
appended are true. So the client is the peer itself unless the peer is a trusted proxy; then
the list is read from the right, skipping trusted proxies, and the first address that is not one
is the client. With no trusted proxy (the default) the header is ignored entirely.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from demonitor.core.errors import BilingualError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProxyError(BilingualError):
    """A trusted proxy that is not an IP address or network."""


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as proxies write it: bare, ``[v6]``, or with a port (``1.2.3.4:80``)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class TrustedProxies:
    """The proxies whose ``X-Forwarded-For`` entries are believed."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, values: Iterable[str]) -> TrustedProxies:
        """From addresses or networks (``10.0.0.1``, ``10.0.0.0/24``, ``::1``), each value
        possibly a comma-separated list; anything else is refused."""
        networks: list[Network] = []
        for part in _split(values):
            try:
                network = ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ProxyError(
                    f"受信任的代理须为IP地址或网段：{part}",
                    f"a trusted proxy is an IP address or network: {part}",
                ) from None
            if network not in networks:
                networks.append(network)
        return cls(tuple(networks))

    def names(self) -> tuple[str, ...]:
        """As written back (a single address without its /32 or /128)."""
        return tuple(
            str(n.network_address) if n.num_addresses == 1 else str(n) for n in self.networks
        )

    def trusts(self, address: str) -> bool:
        found = _address(address)
        return found is not None and any(found in network for network in self.networks)

    def client(self, peer: str, forwarded_for: Sequence[str]) -> str:
        """The client's address, given the peer's and the ``X-Forwarded-For`` header values."""
        if not self.networks or not self.trusts(peer):
            return peer
        client = peer
        for hop in reversed(_split(forwarded_for)):
            address = _address(hop)
            if address is None:  # not written by a proxy of ours: stop at the last one that was
                return client
            client = str(address)
            if not self.trusts(client):
                return client
        return client
