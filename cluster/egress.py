"""Outbound HTTP to addresses users give (callback URLs), guarded against server-side request forgery.

Only http and https. The host is resolved here and every address it resolves to must be public
(not loopback, private, link-local, shared, multicast, reserved or a cloud metadata address)
unless the host or the address is on the allow-list. The request then goes to the checked address
itself, with the original Host header and TLS server name, so a second DNS answer (rebinding)
cannot send it elsewhere. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedDestination(Exception):
    """The URL points where docseg does not send requests; the message says why."""


class Allowed:
    """The allow-list: host names, and addresses or networks in CIDR form."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.hosts = {e.lower() for e in entries if not _is_network(e)}
        self.networks = [ipaddress.ip_network(e, strict=False) for e in entries if _is_network(e)]

    def host(self, name: str) -> bool:
        return name.lower() in self.hosts

    def address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


def _is_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global is False for loopback, RFC 1918, link-local (169.254.169.254 and other metadata
    # services), shared 100.64/10 (Alibaba's 100.100.100.200), unique-local (fd00:ec2::254), ...
    return address.is_global and not address.is_multicast


async def resolve_checked(host: str, port: int, allowed: Allowed) -> Address:
    """The address to connect to, after checking every address the host resolves to."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise RefusedDestination(f"{host} does not resolve: {exc}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise RefusedDestination(f"{host} does not resolve")
    if not allowed.host(host):
        refused = [a for a in addresses if not is_public(a) and not allowed.address(a)]
        if refused:
            raise RefusedDestination(f"{host} resolves to {refused[0]}, which is not a public address")
    return addresses[0]


async def post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], allowed: Allowed, timeout: float
) -> httpx.Response:
    """POST to the URL's checked address; raises RefusedDestination for what the guard refuses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedDestination(f"only http and https URLs are called, not {url!r}")
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    address = await resolve_checked(host, port, allowed)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    return await client.post(
        target, content=body, headers={**headers, "Host": host_header}, timeout=timeout,
        follow_redirects=False, extensions={"sni_hostname": host},
    )
