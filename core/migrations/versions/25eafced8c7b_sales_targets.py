"""monthly sales targets per rep, team or product line and basis (booked, invoiced, collected), and the record
of each rep target reported behind pace, so the managers hear of it once per target

Revision ID: 25eafced8c7b
Revises: eab83d5ad873
Create Date: 2026-12-07 20:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '25eafced8c7b'
down_revision = 'eab83d5ad873'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reports_sales_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('subject', sa.String(length=12), nullable=False),
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.String(length=80), nullable=True),
    sa.Column('product_line', sa.String(length=40), nullable=True),
    sa.Column('basis', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_reports_sales_target_created_by_id_core_user')),
    sa.ForeignKeyConstraint(['rep_id'], ['core_user.id'], name=op.f('fk_reports_sales_target_rep_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports_sales_target')),
    sa.UniqueConstraint('period', 'subject', 'subject_key', 'basis', name='uq_reports_sales_target_subject')
    )
    with op.batch_alter_table('reports_sales_target', schema=None) as batch_op:
        batch_op.create_index('ix_reports_sales_target_period_subject', ['period', 'subject'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_sales_target_rep_id'), ['rep_id'], unique=False)

    op.create_table('reports_target_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('expected', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('actual', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['reports_sales_target.id'], name=op.f('fk_reports_target_alert_target_id_reports_sales_target')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports_target_alert')),
    sa.UniqueConstraint('target_id', name=op.f('uq_reports_target_alert_target_id'))
    )


def downgrade() -> None:
    op.drop_table('reports_target_alert')
    with op.batch_alter_table('reports_sales_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_sales_target_rep_id'))
        batch_op.drop_index('ix_reports_sales_target_period_subject')

    op.drop_table('reports_sales_target')
