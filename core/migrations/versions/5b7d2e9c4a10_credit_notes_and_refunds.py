"""credit notes and refunds: credit notes with their lines, refunds of unapplied credit with their
parts, the credited amount of invoices and orders, the refunded amount of payments

Revision ID: 5b7d2e9c4a10
Revises: f4a61c2d9e07
Create Date: 2026-11-22 16:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '5b7d2e9c4a10'
down_revision = 'f4a61c2d9e07'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade() -> None:
    with op.batch_alter_table('finance_invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credited_amount', MONEY, nullable=False, server_default='0'))
    with op.batch_alter_table('finance_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_amount', MONEY, nullable=False, server_default='0'))
    with op.batch_alter_table('crm_sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credited_amount', MONEY, nullable=False, server_default='0'))

    op.create_table('finance_credit_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('sales_order_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('credit_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('untaxed', MONEY, nullable=False),
    sa.Column('tax', MONEY, nullable=False),
    sa.Column('total', MONEY, nullable=False),
    sa.Column('to_unapplied_credit', MONEY, nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_finance_credit_note_created_by_id_core_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_finance_credit_note_customer_id_core_customer')),
    sa.ForeignKeyConstraint(['invoice_id'], ['finance_invoice.id'], name=op.f('fk_finance_credit_note_invoice_id_finance_invoice')),
    sa.ForeignKeyConstraint(['sales_order_id'], ['crm_sales_order.id'], name=op.f('fk_finance_credit_note_sales_order_id_crm_sales_order')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['core_warehouse.id'], name=op.f('fk_finance_credit_note_warehouse_id_core_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_credit_note')),
    sa.UniqueConstraint('number', name=op.f('uq_finance_credit_note_number'))
    )
    with op.batch_alter_table('finance_credit_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_credit_note_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_credit_note_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_credit_note_sales_order_id'), ['sales_order_id'], unique=False)

    op.create_table('finance_credit_note_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('invoice_line_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('untaxed', MONEY, nullable=False),
    sa.Column('tax', MONEY, nullable=False),
    sa.Column('total', MONEY, nullable=False),
    sa.Column('restocked', sa.Boolean(), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['credit_note_id'], ['finance_credit_note.id'], name=op.f('fk_finance_credit_note_line_credit_note_id_finance_credit_note'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_line_id'], ['finance_invoice_line.id'], name=op.f('fk_finance_credit_note_line_invoice_line_id_finance_invoice_line')),
    sa.ForeignKeyConstraint(['product_id'], ['core_product.id'], name=op.f('fk_finance_credit_note_line_product_id_core_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_credit_note_line'))
    )
    with op.batch_alter_table('finance_credit_note_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_credit_note_line_credit_note_id'), ['credit_note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_credit_note_line_invoice_line_id'), ['invoice_line_id'], unique=False)

    op.create_table('finance_refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('refund_date', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_finance_refund_created_by_id_core_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_finance_refund_customer_id_core_customer')),
    sa.ForeignKeyConstraint(['reverses_id'], ['finance_refund.id'], name=op.f('fk_finance_refund_reverses_id_finance_refund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_refund')),
    sa.UniqueConstraint('number', name=op.f('uq_finance_refund_number')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_finance_refund_reverses_id'))
    )
    with op.batch_alter_table('finance_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_refund_customer_id'), ['customer_id'], unique=False)

    op.create_table('finance_refund_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['finance_payment.id'], name=op.f('fk_finance_refund_part_payment_id_finance_payment')),
    sa.ForeignKeyConstraint(['refund_id'], ['finance_refund.id'], name=op.f('fk_finance_refund_part_refund_id_finance_refund')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_refund_part'))
    )
    with op.batch_alter_table('finance_refund_part', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_refund_part_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_refund_part_refund_id'), ['refund_id'], unique=False)


def downgrade() -> None:
    op.drop_table('finance_refund_part')
    op.drop_table('finance_refund')
    op.drop_table('finance_credit_note_line')
    op.drop_table('finance_credit_note')
    with op.batch_alter_table('crm_sales_order', schema=None) as batch_op:
        batch_op.drop_column('credited_amount')
    with op.batch_alter_table('finance_payment', schema=None) as batch_op:
        batch_op.drop_column('refunded_amount')
    with op.batch_alter_table('finance_invoice', schema=None) as batch_op:
        batch_op.drop_column('credited_amount')
