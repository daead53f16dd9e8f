"""Redirects, followed by the flow rather than by httpx, so that secrets stay home.

httpx drops only ``Authorization`` and ``Cookie`` on a redirect to another origin, and
re-sends a POST body on 307/308 wherever it points. An event stream's request usually
carries an API key and a prompt, so on a redirect to another origin (scheme, host or
port) sse_post drops every header that marks a secret and refuses to carry a body
unless the caller opts in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, final
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ._errors import RedirectError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._request import Outgoing

__all__ = ["SECRET_MARKERS", "RedirectPolicy", "is_secret", "next_hop"]

#: A header or query parameter whose lower-case name contains one of these marks a secret.
SECRET_MARKERS = ("key", "token", "secret", "auth", "session", "password", "signature")
_ALWAYS_SECRET = frozenset({"authorization", "proxy-authorization", "cookie"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class RedirectPolicy:
    """How a source follows redirects, when its client follows them at all.

    Sources follow redirects when their client does: always with sse_post's own client,
    and as the caller's client says (``follow_redirects=``) otherwise. On a redirect to
    another origin (scheme, host or port), ``Authorization``, ``Proxy-Authorization``,
    ``Cookie``, every header whose name contains one of `SECRET_MARKERS` (or
    ``secret_markers``), the client's ``auth``, the URL's user info and query
    parameters with such names are not sent on.

    Attributes:
        max_redirects: redirects followed for one request before `RedirectError`.
        send_body_cross_origin: let a 307/308 re-send the request body to another
            origin. Off by default: a prompt or a document should not follow a redirect
            it did not expect.
        secret_markers: more name fragments (case-insensitive) that mark a secret header
            or query parameter, in addition to `SECRET_MARKERS`.
    """

    max_redirects: int = 20
    send_body_cross_origin: bool = False
    secret_markers: tuple[str, ...] = ()


def is_secret(name: str, extra: tuple[str, ...] = ()) -> bool:
    """Whether a header or query parameter named ``name`` marks a secret."""
    lower = name.lower()
    return lower in _ALWAYS_SECRET or any(m in lower for m in SECRET_MARKERS + extra)


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port (the default one filled in) of an absolute URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def next_hop(
    request: Outgoing,
    url: str,
    status: int,
    headers: Mapping[str, str],
    policy: RedirectPolicy | None,
    hops: int,
) -> Outgoing | None:
    """The request a redirect asks for, or ``None`` if this answer is not one to follow.

    ``url`` is the absolute URL that answered (the request's may be relative to a
    client's ``base_url``).

    Raises:
        RedirectError: too many redirects, or a 307/308 that would carry the body to
            another origin.
    """
    location = headers.get("location")
    if policy is None or status not in _REDIRECTS or not location:
        return None
    target = urljoin(url, location.strip())
    if origin(target)[0] not in _DEFAULT_PORTS:
        raise RedirectError(f"refused a redirect to {target!r}: not http or https", target=target)
    if hops >= policy.max_redirects:
        raise RedirectError(f"stopped after {hops} redirects, at {target!r}", target=target)
    method, has_body = request.method, request.has_body
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, has_body = "GET", False
    cross = origin(target) != origin(url)
    if not cross:
        return replace(request, method=method, url=target, params=None, has_body=has_body)
    if has_body and not policy.send_body_cross_origin:
        raise RedirectError(
            f"refused to send the request body on a {status} redirect to another origin, "
            f"{_redact(target, policy.secret_markers)!r} (pass redirects=RedirectPolicy("
            "send_body_cross_origin=True) if that is intended)",
            target=target,
        )
    markers = policy.secret_markers
    return replace(
        request,
        method=method,
        url=_redact(target, markers, drop=True),
        params=None,
        has_body=has_body,
        headers=[(n, v) for n, v in request.headers if not is_secret(n, markers)],
        cross_origin=True,
        secret_markers=markers,
    )


def _redact(url: str, markers: tuple[str, ...], *, drop: bool = False) -> str:
    # Without user info and secret query parameters: dropped on the wire, or hidden in a
    # message.
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if not is_secret(k, markers)]
    if len(kept) == len(query) and netloc == parts.netloc:
        return url
    if not drop:
        kept = [(k, v if (k, v) in kept else "...") for k, v in query]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(kept)))
