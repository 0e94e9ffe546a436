"""merge fulfilment and finance with the CRM front office

Revision ID: 666da0e8a940
Revises: a8ee0f77ead0, b59e41093608
Create Date: 2026-11-22 14:54:49.675639
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '666da0e8a940'
down_revision = ('a8ee0f77ead0', 'b59e41093608')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
