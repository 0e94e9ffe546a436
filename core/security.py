"""The web's own hardening: where a user-given `next` may send the browser, the security headers of
every response, session cookies for HTTPS, and the client's address behind trusted reverse proxies."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from core.config import Settings

# C0 and C1 control characters and backslashes: browsers drop tabs and newlines from a URL and read a
# backslash as a slash, so `/\t/evil.example` or `/\\evil.example` would leave the site.
_UNSAFE_IN_URL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def safe_next(target: str | None, default: str) -> str:
    """Where to go after a form that names its own next page: `target` without control characters and
    backslashes, when what is left is a path on this host (`/...`, not `//host`, no scheme); else
    `default`."""
    cleaned = _UNSAFE_IN_URL.sub("", target or "")
    parts = urlsplit(cleaned)
    if not cleaned.startswith("/") or cleaned.startswith("//") or parts.scheme or parts.netloc:
        return default
    return cleaned


# Scripts only from the site's own files: no inline <script> and no on*= attributes in any template
# (their code lives in core/static/*.js). Inline style attributes are still allowed.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Pages rendered by a library with an inline script of their own (flask-smorest's Swagger UI): that
# exact script, and no other, is allowed by its hash.
INLINE_SCRIPT_PAGES = {"api-docs.openapi_swagger_ui"}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _script_hashes(html: str) -> str:
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
                    for body in _INLINE_SCRIPT.findall(html))


# A PDF opens in the browser's own viewer, which a document policy (object-src 'none') would block.
DOCUMENT_POLICY = "frame-ancestors 'none'"


def content_security_policy(response: Response) -> str:
    if response.mimetype == "application/pdf":
        return DOCUMENT_POLICY
    if request.endpoint in INLINE_SCRIPT_PAGES and response.mimetype == "text/html":
        hashes = _script_hashes(response.get_data(as_text=True))
        return CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {hashes}".rstrip())
    return CONTENT_SECURITY_POLICY


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", content_security_policy(response))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(SESSION_COOKIE_SECURE=settings.secure_cookies, REMEMBER_COOKIE_SECURE=settings.secure_cookies,
                      REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax")
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.after_request(add_security_headers)
