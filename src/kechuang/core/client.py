"""Where a request comes from: the client address that audit events and the login throttle record.

REMOTE_ADDR is the peer that connected. Behind reverse proxies set TRUSTED_PROXY_COUNT to how many of them
append to X-Forwarded-For; the address is then taken that many hops from the right, so a client cannot choose
its own address by sending the header itself.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar

from django.conf import settings

# The address of the request being served (None in commands and jobs): read by `core.audit.event`.
current_address: ContextVar[str | None] = ContextVar("current_address", default=None)


def _valid(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((text or "").strip()))
    except ValueError:
        return None


def client_address(request) -> str | None:
    remote = _valid(request.META.get("REMOTE_ADDR"))
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    return _valid(forwarded[-hops]) or remote


class ClientAddressMiddleware:
    """Keeps the client address in `current_address` while the request is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.client_address = client_address(request)
        token = current_address.set(request.client_address)
        try:
            return self.get_response(request)
        finally:
            current_address.reset(token)
