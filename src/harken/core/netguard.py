"""Outbound HTTP that cannot be pointed at the inside (SSRF guard), for URLs that users type in.

`open_url(request, timeout)` behaves like `urllib.request.urlopen`, except that:
- every connection resolves the host itself and refuses it unless *every* address is public
  (not private, loopback, link-local — the cloud metadata service 169.254.169.254 included —,
  multicast, reserved, unspecified, shared/CGNAT, or IPv4-mapped forms of those); it then connects
  to the address it checked, so a DNS answer that changes between check and connect does not help;
- the check runs again for every redirect (each hop opens a new guarded connection), and only
  http(s) redirects are followed, at most MAX_REDIRECTS;
- environment proxies are ignored (a proxy would hide the real destination).
Networks listed in the `HARKEN_FETCH_ALLOWED_NETWORKS` setting (CIDRs, opt-in, for intranet feeds)
are allowed. Callers turn every failure into a generic message that reveals no ports or addresses.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings

MAX_REDIRECTS = 5
_DEFAULT_TIMEOUT: Any = getattr(socket, "_GLOBAL_DEFAULT_TIMEOUT", object())  # what http.client passes
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(OSError):
    """The destination is not on the public internet (and not on the allow-list)."""


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in getattr(settings, "HARKEN_FETCH_ALLOWED_NETWORKS", []) or []:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            continue
    return networks


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def check_ip(ip: IPAddress) -> None:
    if is_public(ip) or any(ip in net for net in _allowed_networks() if ip.version == net.version):
        return
    raise BlockedAddress("destination not allowed")


def check_host_literal(host: str) -> None:
    """For save-time validation: refuse hosts that are non-public IP literals or localhost names."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        check_ip(ipaddress.ip_address("127.0.0.1"))
        return
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    check_ip(ip)


def guarded_create_connection(
    address: tuple[str, int], timeout: Any = _DEFAULT_TIMEOUT, source_address: Any = None
) -> socket.socket:
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise OSError("no address")
    for *_rest, sockaddr in infos:
        check_ip(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]))
    error: OSError | None = None
    for family, kind, proto, _canon, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("could not connect")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_GuardedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urllib.parse.urlparse(newurl).scheme not in ("http", "https"):
            raise BlockedAddress("redirect to a scheme other than http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def build_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _HTTPHandler(), _HTTPSHandler(), _RedirectHandler()
    )


def open_url(request: urllib.request.Request, timeout: float) -> Any:
    if urllib.parse.urlparse(request.full_url).scheme not in ("http", "https"):
        raise BlockedAddress("only http(s)")
    return build_opener().open(request, timeout=timeout)
