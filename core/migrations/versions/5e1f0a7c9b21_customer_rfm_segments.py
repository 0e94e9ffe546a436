"""customer RFM segments

Revision ID: 5e1f0a7c9b21
Revises: f4a61c2d9e07
Create Date: 2026-11-22 16:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '5e1f0a7c9b21'
down_revision = 'f4a61c2d9e07'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crm_customer_rfm',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('last_order_date', sa.Date(), nullable=False),
    sa.Column('recency_days', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('monetary', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('paid', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('r_score', sa.Integer(), nullable=False),
    sa.Column('f_score', sa.Integer(), nullable=False),
    sa.Column('m_score', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=20), nullable=False),
    sa.Column('computed_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'],
                            name=op.f('fk_crm_customer_rfm_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_crm_customer_rfm'))
    )
    with op.batch_alter_table('crm_customer_rfm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_customer_rfm_segment'), ['segment'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('crm_customer_rfm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_customer_rfm_segment'))
    op.drop_table('crm_customer_rfm')
