"""The `auditkit` command: init, demo, serve, create-user, backup, restore.

Also reachable as `flask --app auditkit ...`.
"""

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from auditkit import db as database


def register_commands(app: Flask) -> None:
    from auditkit.standards.cli import checklists_group

    for command in (init_command, demo_command, serve_command, create_user_command,
                    backup_command, restore_command, checklists_group):
        app.cli.add_command(command)


def _create_app(*_args, **_kwargs):
    from auditkit import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False,
                  add_version_option=False, load_dotenv=False,
                  help="auditkit: audit management for certification bodies.")


def _migrate() -> str:
    from auditkit.migrate import upgrade_database

    return upgrade_database(database.engine())


@click.command("init", help="Create the database, or upgrade it to this version.")
@with_appcontext
def init_command():
    revision = _migrate()
    click.echo(f"Database ready at revision {revision}: {_safe_url()}")


def _safe_url() -> str:
    return database.engine().url.render_as_string(hide_password=True)


@click.command("demo", help="Load a demo certification body with one user per role.")
@with_appcontext
def demo_command():
    _migrate()
    from auditkit.demo import load_demo

    created = load_demo()
    click.echo("Demo body loaded." if created else "Demo body already present; kept as is.")
    _print_logins()


def _print_logins() -> None:
    from auditkit.demo import DEMO_PASSWORD, DEMO_USERS

    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, _name, roles, _client in DEMO_USERS:
        click.echo(f"  {email:<32} {', '.join(roles)}")


@click.command("serve", help="Run auditkit on this machine (waitress).")
@click.option("--demo", is_flag=True, help="Load the demo body first (kept on later runs).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve_command(demo: bool, host: str, port: int, threads: int):
    from waitress import serve

    _migrate()
    if demo:
        from auditkit.demo import load_demo

        created = load_demo()
        click.echo("Demo body loaded." if created else "Demo body already present; kept as is.")
        _print_logins()
    # Requests open sessions of their own; nothing of the command may hold the database.
    database.close_session()
    click.echo(f"Database: {_safe_url()}")
    click.echo(f"auditkit is running at http://{host}:{port}/  (Ctrl+C to stop)")
    serve(current_app._get_current_object(), host=host, port=port, threads=threads,
          ident="auditkit")


@click.command("create-user", help="Create a user. Without --password-stdin it prompts.")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True,
              help="admin, programme_manager, auditor, reviewer or auditee (repeatable).")
@click.option("--client", "client_id", type=int, default=None,
              help="Client organisation id (auditees only).")
@click.option("--name", "full_name", default="", help="Full name (default: from the e-mail).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email, roles, client_id, full_name, password_stdin):
    from auditkit.accounts import services as accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with database.write_intent():
        db = database.session()
        try:
            user = accounts.create_user(db, email=email, full_name=full_name, password=password,
                                        roles=roles, client_id=client_id)
        except accounts.AccountError as error:
            db.rollback()
            raise click.ClickException(str(error)) from None
        db.commit()
    click.echo(f"Created user {user.email} (id {user.id}) with roles {', '.join(roles)}.")


@click.command("backup", help="Write one archive with the database, stored files and checksums.")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    from auditkit.backup import BackupError, write_backup

    try:
        summary = write_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary)


@click.command("restore", help="Restore an archive made by `auditkit backup`.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(path, force):
    from auditkit.backup import BackupError, restore_backup

    try:
        summary = restore_backup(path, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary)
