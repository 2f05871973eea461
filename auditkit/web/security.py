"""Security headers on every response (T08 of the security test plan)."""

from flask import Flask, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def init_security(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    headers["X-Frame-Options"] = "DENY"
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    if _is_authenticated() and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
        response.vary.add("HX-Request")
    elif request.endpoint != "static":
        response.vary.add("HX-Request")
    return response


def _is_authenticated() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # noqa: BLE001 - no user can be loaded (e.g. database down): not signed in
        return False
