"""auditkit: audit management for certification bodies and internal auditors."""

from flask import Flask

from auditkit.config import Config
from auditkit.paths import resource_dir

__version__ = "0.1.0"


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, template_folder=str(resource_dir("templates")),
                static_folder=str(resource_dir("static")), static_url_path="/static",
                instance_path=str(config.instance_dir), instance_relative_config=False)
    register_config(app, config)
    register_database(app, config)
    register_extensions(app)
    register_sessions(app)
    register_blueprints(app)
    register_security(app)
    register_errors(app)
    register_templates(app)
    register_cli(app)
    return app


def register_config(app: Flask, config: Config) -> None:
    from datetime import timedelta

    app.config.update(
        AUDITKIT=config,
        SECRET_KEY=config.ensure_secret_key(),
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        MAX_FORM_MEMORY_SIZE=500 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        SESSION_REFRESH_EACH_REQUEST=False,
        # Auditors keep a checklist open all day; the token stays bound to the session.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_url,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    if config.behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


def register_database(app: Flask, config: Config) -> None:
    from auditkit import db

    app.extensions["auditkit.engine"] = db.make_engine(config.database_url)
    app.teardown_appcontext(db.close_session)


def register_extensions(app: Flask) -> None:
    from auditkit.extensions import csrf, htmx, limiter, login_manager

    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)


def register_sessions(app: Flask) -> None:
    from auditkit.web.sessions import init_sessions

    init_sessions(app)


def register_blueprints(app: Flask) -> None:
    from auditkit.accounts.routes import bp as accounts_bp
    from auditkit.admin.routes import bp as admin_bp
    from auditkit.clients.routes import bp as clients_bp
    from auditkit.dashboard.routes import bp as dashboard_bp
    from auditkit.programmes.routes import bp as programmes_bp
    from auditkit.scheduling.routes import bp as scheduling_bp
    from auditkit.soa.routes import bp as soa_bp
    from auditkit.standards.routes import bp as standards_bp
    from auditkit.web.routes import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(programmes_bp)
    app.register_blueprint(scheduling_bp)
    app.register_blueprint(soa_bp)
    app.register_blueprint(standards_bp)


def register_security(app: Flask) -> None:
    from auditkit.web.security import init_security

    init_security(app)


def register_errors(app: Flask) -> None:
    from auditkit.web.errors import init_errors

    init_errors(app)


def register_templates(app: Flask) -> None:
    from auditkit.web.templating import init_templating

    init_templating(app)


def register_cli(app: Flask) -> None:
    from auditkit.cli import register_commands

    register_commands(app)
