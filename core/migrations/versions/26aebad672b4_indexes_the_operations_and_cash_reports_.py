"""indexes the reports read by: payments by date (cash collected per week), stock moves by kind and time
(the last issue of a slow mover), leads by creation (the funnel's cohort) and opportunities by lead

Revision ID: 26aebad672b4
Revises: 1da270459abf
Create Date: 2026-12-07 20:40:28.570805
"""
from alembic import op

revision = '26aebad672b4'
down_revision = '1da270459abf'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('finance_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_payment_payment_date'), ['payment_date'], unique=False)

    with op.batch_alter_table('inventory_stock_move', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_stock_move_kind_created', ['kind', 'created_at'], unique=False)

    with op.batch_alter_table('crm_lead', schema=None) as batch_op:
        batch_op.create_index('ix_crm_lead_created', ['created_at'], unique=False)

    with op.batch_alter_table('crm_opportunity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_opportunity_lead_id'), ['lead_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('crm_opportunity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_opportunity_lead_id'))

    with op.batch_alter_table('crm_lead', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_lead_created')

    with op.batch_alter_table('inventory_stock_move', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_stock_move_kind_created')

    with op.batch_alter_table('finance_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_payment_payment_date'))

