"""Queries the home page and health check need."""

from auditkit import db


def database_reachable() -> bool:
    return db.is_reachable()
