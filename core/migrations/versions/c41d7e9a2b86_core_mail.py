"""the suite's e-mail (core_mail): each message with its subject, recipients, body and one attachment, kept
whether it went out through SMTP or, without a mail server, stays readable on the "Sent mail" page; a unique key
sends a message once (the management digest of one ISO week)

Revision ID: c41d7e9a2b86
Revises: eab83d5ad873
Create Date: 2026-12-07 21:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'c41d7e9a2b86'
down_revision = 'eab83d5ad873'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attachment_name', sa.String(length=200), nullable=True),
    sa.Column('attachment_type', sa.String(length=100), nullable=True),
    sa.Column('attachment', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.db.AwareDateTime(timezone=True), nullable=True),
    sa.Column('transport', sa.String(length=10), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_mail')),
    sa.UniqueConstraint('key', name=op.f('uq_core_mail_key'))
    )
    with op.batch_alter_table('core_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_mail_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_mail_created_at'))

    op.drop_table('core_mail')
