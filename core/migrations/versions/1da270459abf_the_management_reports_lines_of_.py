"""the management reports' lines of migrations meet: sales targets, the opportunity stage history and
forecast snapshots, and the stored mail were built side by side on the reports' dimensions

Revision ID: 1da270459abf
Revises: 25eafced8c7b, 3618f37274a1, c41d7e9a2b86
Create Date: 2026-12-07 20:40:28.105812
"""


revision = '1da270459abf'
down_revision = ('25eafced8c7b', '3618f37274a1', 'c41d7e9a2b86')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
