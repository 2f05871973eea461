"""The request's unit of work, for routes: one commit per request, a stale save becomes 409."""

from flask import abort
from sqlalchemy.orm.exc import StaleDataError

from auditkit import db


def request_db():
    return db.session()


def commit() -> None:
    try:
        db.session().commit()
    except StaleDataError:
        db.session().rollback()
        abort(409)
