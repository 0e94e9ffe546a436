"""stalled-deal alerts: when the managers were told an opportunity stalled (also joins the credit
notes and the RFM lines of migrations into one head)

Revision ID: c3a9d1e7f2b4
Revises: 5b7d2e9c4a10, 5e1f0a7c9b21
Create Date: 2026-11-22 16:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'c3a9d1e7f2b4'
down_revision = ('5b7d2e9c4a10', '5e1f0a7c9b21')
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crm_opportunity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stalled_alerted_at', core.db.AwareDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crm_opportunity', schema=None) as batch_op:
        batch_op.drop_column('stalled_alerted_at')
