"""Which push endpoints the server may POST to: https, a known push service, a public address. Never redirected.

Checked when a browser subscribes and again before every send (a name's DNS can change in between).
Only `PUSH_TEST_ORIGINS` (exact scheme://host:port, empty by default) admits anything else: a test's local push
service on http://127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class EndpointRefused(ValueError):
    """A push endpoint the server will not send to, with a reason fit to show the user."""


def _origin(parts) -> str:
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _normalised_origins(origins) -> set[str]:
    return {_origin(urlsplit(o)) for o in origins or ()}


def host_allowed(host: str, allowed_hosts) -> bool:
    """`*.example.com` matches subdomains of example.com (not example.com itself); other entries match exactly."""
    host = host.lower().rstrip(".")
    for pattern in allowed_hosts or ():
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
    except (socket.gaierror, UnicodeError) as error:
        raise EndpointRefused(f"the push service's name does not resolve ({error.__class__.__name__})") from None


def check_endpoint(url: str, config, resolver=resolve) -> str:
    """Return `url` if the server may send to it under `config`, else raise EndpointRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointRefused("the endpoint is not a valid URL") from None
    if not parts.hostname or parts.username or parts.password:
        raise EndpointRefused("the endpoint is not a valid push service URL")
    if _origin(parts) in _normalised_origins(config.get("PUSH_TEST_ORIGINS")):
        return url  # explicitly configured (tests' local push service)
    if parts.scheme != "https":
        raise EndpointRefused("push endpoints must use https")
    if not host_allowed(parts.hostname, config.get("PUSH_ALLOWED_HOSTS")):
        raise EndpointRefused(f"{parts.hostname} is not a known browser push service")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal else resolver(parts.hostname, port or 443)
    if not addresses or not all(_public(a) for a in addresses):
        raise EndpointRefused(f"{parts.hostname} resolves to a private, loopback or link-local address")
    return url
