"""Fixtures of the security tests (T01, T04-T08)."""

import pytest

from auditkit import db as database
from tests.conftest import login
from tests.security.support import Clock


@pytest.fixture
def clock(monkeypatch):
    """Freeze auditkit's clock (every service reads the time through auditkit.db.utcnow)."""
    frozen = Clock()
    monkeypatch.setattr(database, "utcnow", frozen)
    return frozen


@pytest.fixture
def signed_in(app, make_user, make_client):
    """A fresh test client signed in as a new user with these roles; returns (client, user).
    An auditee gets a client organisation of their own."""

    def open_browser(*roles, **kwargs):
        if "auditee" in roles and "client_id" not in kwargs:
            kwargs["client_id"] = make_client().id
        user = make_user(*roles, **kwargs)
        client = app.test_client()
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client, user

    return open_browser
