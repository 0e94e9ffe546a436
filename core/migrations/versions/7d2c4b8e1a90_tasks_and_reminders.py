"""tasks and reminders

Revision ID: 7d2c4b8e1a90
Revises: eef8e5aec7e1
Create Date: 2026-11-22 16:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '7d2c4b8e1a90'
down_revision = 'eef8e5aec7e1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crm_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('due_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.Column('remind_at', core.db.AwareDateTime(timezone=True), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('reminded_at', core.db.AwareDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', core.db.AwareDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', core.db.AwareDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['crm_activity.id'], name=op.f('fk_crm_task_activity_id_crm_activity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_crm_task_created_by_id_core_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_crm_task_customer_id_core_customer')),
    sa.ForeignKeyConstraint(['lead_id'], ['crm_lead.id'], name=op.f('fk_crm_task_lead_id_crm_lead')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['crm_opportunity.id'], name=op.f('fk_crm_task_opportunity_id_crm_opportunity')),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_crm_task_owner_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_task')),
    sa.UniqueConstraint('activity_id', name=op.f('uq_crm_task_activity_id'))
    )
    with op.batch_alter_table('crm_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_task_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_task_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_task_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index('ix_crm_task_owner_state_due', ['owner_id', 'state', 'due_at'], unique=False)
        batch_op.create_index('ix_crm_task_state_reminded', ['state', 'reminded_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('crm_task', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_task_state_reminded')
        batch_op.drop_index('ix_crm_task_owner_state_due')
        batch_op.drop_index(batch_op.f('ix_crm_task_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_crm_task_lead_id'))
        batch_op.drop_index(batch_op.f('ix_crm_task_customer_id'))

    op.drop_table('crm_task')
