"""One HTTP POST with a timeout, stdlib only; redirects are not followed.

A URL (which may carry a token, as Slack's does) and request headers (which may carry a
signature) are never put in an exception message or a log line.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
MAX_RESPONSE_BYTES = 64 * 1024


class TransportError(Exception):
    """The request did not get an HTTP answer (refused, reset, DNS, timeout)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is returned to the caller as a response, never followed


_OPENER = urllib.request.build_opener(_NoRedirect)


def check_url(url: str) -> str:
    """Accept only absolute http(s) URLs; the message names the problem, not the URL."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES or not parts.netloc:
        raise ValueError("notification URL must be an absolute http:// or https:// URL")
    return url


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float) -> Response:
    """POST ``body``; every HTTP status comes back as a :class:`Response`."""
    request = urllib.request.Request(check_url(url), data=body, method="POST")  # noqa: S310
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout_s) as answer:
            return Response(
                status=int(answer.status),
                headers={k.lower(): v for k, v in answer.headers.items()},
                body=answer.read(MAX_RESPONSE_BYTES),
            )
    except urllib.error.HTTPError as error:
        with error:
            data = error.read(MAX_RESPONSE_BYTES) if error.fp is not None else b""
            return Response(
                status=int(error.code),
                headers={k.lower(): v for k, v in (error.headers or {}).items()},
                body=data,
            )
    except TimeoutError as exc:
        raise TransportError(f"timed out after {timeout_s:g} s") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise TransportError(f"timed out after {timeout_s:g} s") from exc
        name = type(reason).__name__ if isinstance(reason, BaseException) else "URLError"
        raise TransportError(f"connection failed ({name})") from exc
    except (ConnectionError, OSError) as exc:
        raise TransportError(f"connection failed ({type(exc).__name__})") from exc
