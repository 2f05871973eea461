"""Every Flask extension, created unbound; the app factory binds them."""

import hashlib

from flask import current_app
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()


def client_address() -> str:
    """The per-address limit key, prefixed by the database the app serves: one limiter
    storage (memory in a process, or a shared Redis) may serve several auditkit apps, and
    they must not count each other's failures."""
    return f"{_database_key()}:{get_remote_address()}"


def _database_key() -> str:
    url = current_app.config["AUDITKIT"].database_url
    return hashlib.sha256(str(url).encode()).hexdigest()[:12]


limiter = Limiter(key_func=client_address, default_limits=[])
