"""Webhooks, the plain parts: the event list, the signature, the back-off
schedule, the address check that keeps deliveries off internal networks
(SSRF), and one HTTP POST. No database here; ``broker.services`` loads,
calls and stores. Documented for integrators in docs/webhooks.md."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

# Every event an endpoint can subscribe to (``ping`` is sent on demand to
# one endpoint and needs no subscription). Keep docs/webhooks.md in step.
EVENT_TYPES: dict[str, str] = {
    "tender.published": "One of your agency's tenders was published.",
    "tender.closed": "A tender reached its deadline (yours, or one you were invited to or responded to).",
    "tender.awarded": "A tender was awarded (yours, or one you were invited to or responded to).",
    "tender.unsuccessful": "A tender was declared unsuccessful.",
    "tender.cancelled": "A tender was cancelled.",
    "tender.award_withdrawn": "An award was withdrawn before signature; the evaluation resumes.",
    "tender.contract_signed": "The buyer signed the contract after the standstill.",
    "clarification.asked": "A provider asked a question on one of your agency's tenders.",
    "clarification.answered": "A question was answered on a tender you manage, were invited to or asked about.",
    "invitation.created": "Matching shortlisted one of your offers for a tender.",
    "order.placed": "A direct purchase was placed (by your agency, or of one of your offers).",
    "order.accepted": "The provider accepted an order.",
    "order.declined": "The provider declined an order.",
    "order.cancelled": "The agency cancelled an order.",
    "offer.assessed": "The eligibility assessment of one of your offers changed.",
    "certification.verified": "The operator verified the evidence of one of your certificates.",
    "certification.rejected": "The operator rejected the evidence of one of your certificates.",
    "certification.suspended": "One of your certificates was suspended.",
    "certification.revoked": "One of your certificates was revoked.",
    "certification.expired": "One of your certificates passed its expiry date.",
}
PING = "ping"

# Retries: attempt n failed, attempt n+1 waits WEBHOOK_BACKOFF_BASE_SECONDS
# (30 by default) × 2^(n-1) seconds, at most BACKOFF_CAP; after MAX_ATTEMPTS
# the delivery fails.
MAX_ATTEMPTS = 8
BACKOFF_CAP = 3600
SIGNATURE_TOLERANCE = 300  # seconds a receiver should accept, documented
USER_AGENT = "GuichetCloud-Webhooks/1.0"
# What is read of a receiver's answer: enough for the log, bounded.
MAX_RESPONSE_BYTES = 64 * 1024


def backoff(attempt: int) -> int:
    """Seconds to wait after failed attempt ``attempt`` (1-based)."""
    return min(settings.WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** (max(attempt, 1) - 1), BACKOFF_CAP)


def body_bytes(payload: dict) -> bytes:
    """The exact bytes sent (and signed): the same for every attempt."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``Guichet-Signature`` header: ``t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --------------------------------------------------------------------------
# SSRF: where a delivery may go


class UnsafeUrl(ValueError):
    """The URL is refused; the message says why, for the integrator."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as IPv4.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def resolve(url: str, *, allow_private: bool) -> Target:
    """Check a webhook URL and resolve its host. Only http and https; every
    address the name resolves to must be public (private, loopback,
    link-local, multicast, reserved and unspecified ranges are refused)
    unless ``allow_private``. The sender connects to these very addresses,
    so a DNS answer that changes between check and use changes nothing."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise UnsafeUrl(_("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(_("Only http:// and https:// URLs are accepted."))
    if not parts.hostname:
        raise UnsafeUrl(_("The URL has no host."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(_("Credentials in the URL are not accepted; verify the signature instead."))
    port = port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise UnsafeUrl(
                _("The host %(host)s could not be resolved.") % {"host": repr(host)}
            ) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeUrl(_("The host %(host)s could not be resolved.") % {"host": repr(host)})
    if not allow_private:
        for address in addresses:
            if _refused(address):
                raise UnsafeUrl(
                    _(
                        "The host %(host)s resolves to %(address)s, a private, loopback, link-local, multicast or reserved address: webhooks go to public addresses only."
                    )
                    % {"host": repr(host), "address": address}
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    unique = tuple(dict.fromkeys(str(a) for a in addresses))
    return Target(parts.scheme, host, port, path, unique)


# --------------------------------------------------------------------------
# Sending


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the name resolves to now."""

    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the host name of the URL."""

    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    duration_ms: int
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> SendResult:
    """POST once to the first address that accepts a connection. Redirects
    are not followed (http.client never does): a 3xx is a failure."""
    started = time.monotonic()
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    error = ""
    for address in target.addresses:
        connection = connection_class(target.host, target.port, address=address, timeout=timeout)
        try:
            connection.request(
                "POST", target.path, body=body, headers={"User-Agent": USER_AGENT, **headers}
            )
            response = connection.getresponse()
            text = response.read(MAX_RESPONSE_BYTES)
            code = response.status
            if 200 <= code < 300:
                error = ""
            elif 300 <= code < 400:
                error = f"HTTP {code}: redirects are not followed"
            else:
                error = f"HTTP {code}: {text[:200].decode(errors='replace')}".strip()
            return SendResult(code, _ms(started), error[:500])
        except (OSError, http.client.HTTPException) as exc:
            # Refused or timed out here: the next address may answer.
            error = f"{type(exc).__name__}: {exc}"[:500]
        finally:
            connection.close()
    return SendResult(None, _ms(started), error or "no address to connect to")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
