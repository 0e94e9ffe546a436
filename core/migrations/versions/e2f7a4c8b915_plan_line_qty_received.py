"""purchase plan lines remember what their purchase order line's receipts brought in for their demand,
so that an ordered plan line counts as supply to come only for what is still to arrive

Revision ID: e2f7a4c8b915
Revises: b1c4e8d2a7f3
Create Date: 2026-12-02 10:00:00.000000
"""
from decimal import Decimal

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
    # what was received so far goes to each order line's plans in need-by order, as receipts now do
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT p.id AS plan_id, p.qty AS qty, l.id AS line_id, l.qty_received AS received "
        "FROM purchasing_plan_line p JOIN purchasing_order_line l ON l.id = p.purchase_order_line_id "
        "WHERE p.state = 'ordered' AND l.qty_received > 0 ORDER BY l.id, p.need_by, p.id").columns(
        plan_id=sa.Integer, qty=sa.Numeric(18, 4), line_id=sa.Integer, received=sa.Numeric(18, 4))).all()
    update = sa.text("UPDATE purchasing_plan_line SET qty_received = :take WHERE id = :id").bindparams(
        sa.bindparam("take", type_=sa.Numeric(18, 4)))
    left: dict[int, Decimal] = {}
    for plan_id, qty, line_id, received in rows:
        rest = left.setdefault(line_id, received)
        take = min(qty, rest)
        if take > 0:
            bind.execute(update, {"take": take, "id": plan_id})
            left[line_id] = rest - take


def downgrade() -> None:
    with op.batch_alter_table('purchasing_plan_line', schema=None) as batch_op:
        batch_op.drop_column('qty_received')
