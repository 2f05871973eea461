"""cancellation reason on audits; who recorded a declaration; one team row per user and audit

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 13:28:27.935422

Existing data: the service already refused adding a user twice, so duplicate
(audit_id, user_id) pairs can only come from a race of two simultaneous adds. Before the unique
constraint is created, such duplicates are removed, keeping the earliest row (lowest id) of each
pair; the removed rows are logged. Rows without a user (named persons) are never touched.
"""
import logging

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import auditkit.db  # noqa: F401


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

log = logging.getLogger("auditkit.migrate")

# PostgreSQL's own name for the constraint the model declares unnamed, so that a database built
# by this migration and one built from the models agree.
RECORDED_BY_FK = 'audit_team_member_declaration_recorded_by_id_fkey'


def remove_duplicate_team_users() -> None:
    team = sa.table('audit_team_member', sa.column('id', sa.Integer),
                    sa.column('audit_id', sa.Integer), sa.column('user_id', sa.Integer))
    first_rows = (sa.select(sa.func.min(team.c.id))
                  .where(team.c.user_id.is_not(None))
                  .group_by(team.c.audit_id, team.c.user_id))
    duplicates = (sa.select(team.c.id, team.c.audit_id, team.c.user_id)
                  .where(team.c.user_id.is_not(None), team.c.id.not_in(first_rows))
                  .order_by(team.c.id))
    connection = op.get_bind()
    rows = connection.execute(duplicates).all()
    if not rows:
        return
    for row in rows:
        log.warning("0005: removing duplicate audit team row id=%s (audit %s, user %s); "
                    "the earliest row for this user is kept", row.id, row.audit_id, row.user_id)
    connection.execute(sa.delete(team).where(team.c.id.in_([row.id for row in rows])))


def upgrade() -> None:
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=False,
                                      server_default=''))

    remove_duplicate_team_users()
    with op.batch_alter_table('audit_team_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declaration_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_audit_team_member_user', ['audit_id', 'user_id'])
        batch_op.create_foreign_key(RECORDED_BY_FK, 'user_account',
                                    ['declaration_recorded_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('audit_team_member', schema=None) as batch_op:
        batch_op.drop_constraint(RECORDED_BY_FK, type_='foreignkey')
        batch_op.drop_constraint('uq_audit_team_member_user', type_='unique')
        batch_op.drop_column('declaration_recorded_by_id')

    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
