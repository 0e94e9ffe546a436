"""configurable pipelines: a pipeline code and retired (inactive) stages

Revision ID: a7e2c9d4b610
Revises: c3a9d1e7f2b4
Create Date: 2026-11-22 17:15:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'a7e2c9d4b610'
down_revision = 'c3a9d1e7f2b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crm_pipeline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_crm_pipeline_code'), ['code'])
    op.execute("UPDATE crm_pipeline SET code = 'default' WHERE is_default = true")
    with op.batch_alter_table('crm_stage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('crm_stage', schema=None) as batch_op:
        batch_op.drop_column('active')
    with op.batch_alter_table('crm_pipeline', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_crm_pipeline_code'), type_='unique')
        batch_op.drop_column('code')
