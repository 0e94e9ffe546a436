"""purchase plan lines remember what their purchase order line's receipts brought in for their demand,
so that an ordered plan line counts as supply to come only for what is still to arrive

Revision ID: e2f7a4c8b915
Revises: b1c4e8d2a7f3
Create Date: 2026-12-02 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'e2f7a4c8b915'
down_revision = 'b1c4e8d2a7f3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('purchasing_plan_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qty_received', sa.Numeric(precision=18, scale=4), nullable=False,
                                      server_default='0'))
    # plans of lines already received in full count as received (a partial receipt is left to come)
    op.execute(
        "UPDATE purchasing_plan_line SET qty_received = qty WHERE state = 'ordered' AND purchase_order_line_id IN "
        "(SELECT id FROM purchasing_order_line WHERE qty_received >= qty)")


def downgrade() -> None:
    with op.batch_alter_table('purchasing_plan_line', schema=None) as batch_op:
        batch_op.drop_column('qty_received')
