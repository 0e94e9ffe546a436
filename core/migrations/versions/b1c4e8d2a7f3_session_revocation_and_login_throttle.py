"""session revocation and atomic login throttling: a session generation per user (signing out ends
the session on the server) and the login throttle counters (per username and address, per username,
all logins)

Revision ID: b1c4e8d2a7f3
Revises: a7e2c9d4b610
Create Date: 2026-12-01 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'b1c4e8d2a7f3'
down_revision = 'a7e2c9d4b610'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'core_login_throttle',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('window_start', core.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_core_login_throttle')),
    )
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
    op.drop_table('core_login_throttle')
