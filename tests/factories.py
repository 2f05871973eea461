"""Plain factory functions for test data, reached through fixtures in conftest.py."""

import itertools

from auditkit.accounts import services as accounts
from auditkit.models import Client

PASSWORD = "river-stone-orchard-58"
_counter = itertools.count(1)


def make_client(db, name: str | None = None) -> Client:
    client = Client(name=name or f"Client {next(_counter)} Ltd")
    db.add(client)
    db.flush()
    return client


def make_user(db, *roles: str, email: str | None = None, password: str = PASSWORD,
              client_id: int | None = None, full_name: str | None = None):
    roles = roles or ("auditor",)
    number = next(_counter)
    email = email or f"user{number}@example.test"
    return accounts.create_user(db, email=email, full_name=full_name or f"Test User {number}",
                                password=password, roles=roles, client_id=client_id)
