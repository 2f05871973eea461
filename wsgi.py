"""WSGI entry point: `gunicorn wsgi:app`."""

from auditkit import create_app

app = create_app()
