"""What a user typed into a form when their session had expired. The draft is stored on the
server under a random key kept in the browser's session cookie, and offered back to the form
after the user logs in again."""

import json
import secrets
from datetime import timedelta

from flask import flash, session
from sqlalchemy import delete
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from auditkit import db as database
from auditkit.models import FormDraft

SESSION_KEY = "draft_key"
KEEP_FOR = timedelta(days=1)
NOT_KEPT = {"csrf_token", "password", "current_password", "new_password", "confirm_password"}


def keep(path: str, form) -> None:
    fields = {name: form.getlist(name) for name in form if name not in NOT_KEPT}
    key = secrets.token_urlsafe(24)
    with database.write_intent(), Session(database.engine()) as db:
        db.exec(delete(FormDraft).where(FormDraft.created_at < database.utcnow() - KEEP_FOR))
        db.add(FormDraft(id=key, path=path, fields_json=json.dumps(fields),
                         created_at=database.utcnow()))
        db.commit()
    session[SESSION_KEY] = key


def take(path: str) -> dict[str, list[str]] | None:
    """The draft kept for this path, removed from storage; None when there is none."""
    key = session.get(SESSION_KEY)
    if not key:
        return None
    with database.write_intent(), Session(database.engine()) as db:
        draft = db.get(FormDraft, key)
        if draft is None or draft.path != path:
            return None
        fields = json.loads(draft.fields_json)
        db.delete(draft)
        db.commit()
    session.pop(SESSION_KEY, None)
    return fields


def restored_formdata(path: str) -> MultiDict | None:
    """The kept draft of this form as form data, with a message asking the user to check it."""
    fields = take(path)
    if fields is None:
        return None
    flash("Your unsaved changes were kept while you logged in again. Check them and save.",
          "warning")
    return MultiDict([(name, value) for name, values in fields.items() for value in values])
