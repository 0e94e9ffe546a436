"""payment plans: installments of an order, their reminders, and invoice lines from explicit lines

Revision ID: f4a61c2d9e07
Revises: d8b3f1a6c402
Create Date: 2026-11-22 16:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'f4a61c2d9e07'
down_revision = 'd8b3f1a6c402'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('finance_payment_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sales_order_id', sa.Integer(), nullable=False),
    sa.Column('template', sa.String(length=40), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['core_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], ),
    sa.ForeignKeyConstraint(['sales_order_id'], ['crm_sales_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sales_order_id')
    )
    op.create_table('finance_payment_installment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('percent', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('fixed_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('days_after', sa.Integer(), nullable=False),
    sa.Column('fixed_date', sa.Date(), nullable=True),
    sa.Column('triggered_on', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['finance_invoice.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['finance_payment_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_id')
    )
    with op.batch_alter_table('finance_payment_installment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_payment_installment_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_payment_installment_plan_id'), ['plan_id'], unique=False)

    op.create_table('finance_installment_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('installment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['installment_id'], ['finance_payment_installment.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('installment_id', 'kind', name='uq_finance_installment_reminder_kind')
    )
    with op.batch_alter_table('finance_installment_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_installment_reminder_installment_id'), ['installment_id'],
                              unique=False)

    with op.batch_alter_table('finance_invoice_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.String(length=200), nullable=True))
        batch_op.alter_column('product_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('finance_invoice_line', schema=None) as batch_op:
        batch_op.alter_column('product_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('description')
    with op.batch_alter_table('finance_installment_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_installment_reminder_installment_id'))
    op.drop_table('finance_installment_reminder')
    with op.batch_alter_table('finance_payment_installment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_payment_installment_plan_id'))
        batch_op.drop_index(batch_op.f('ix_finance_payment_installment_due_date'))
    op.drop_table('finance_payment_installment')
    op.drop_table('finance_payment_plan')
