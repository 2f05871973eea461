"""Error pages that look like the app; htmx requests get the message as a fragment."""

from flask import Flask, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from auditkit.extensions import login_manager

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your roles do not allow this page or action."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Changed by someone else", "Someone saved this record after you opened it. "
                                     "Reload it to see their changes, then make yours again."),
    413: ("Too large", "The upload is larger than auditkit accepts."),
    422: ("Check your input", "Some of what you entered could not be accepted."),
    429: ("Too many attempts", "Too many attempts from your address. Wait a minute and try "
                              "again."),
    500: ("Something went wrong", "auditkit could not finish this request. Nothing was saved. "
                                  "The error was logged."),
    503: ("Temporarily unavailable", "The database cannot be reached. Try again in a moment; "
                                     "nothing was saved."),
}


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    _settle_current_user()
    template = "errors/error.html"
    if request.headers.get("HX-Request") == "true":
        from auditkit.web.templating import render_block

        body = render_block(template, "content", status=status, title=title, message=message,
                            detail=detail)
    else:
        body = render_template(template, status=status, title=title, message=message,
                               detail=detail)
    return body, status


def _settle_current_user() -> None:
    """The page template asks who is signed in; with the database down that question raises
    again inside the error handler. A user who cannot be loaded is shown the page anonymous."""
    try:
        current_user._get_current_object()
    except Exception:  # noqa: BLE001 - any failure to load the user: render as anonymous
        g._login_user = login_manager.anonymous_user()


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "The form had expired or did not come from auditkit. "
                                 "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = render_error(error.code or 500)
        if error.code == 429:
            return response[0], 429, {"Retry-After": "60"}
        return response

    @app.errorhandler(OperationalError)
    def database_down(error):
        app.logger.error("database unavailable: %s", error.__class__.__name__)
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("unhandled error")
        return render_error(500)
