"""the double-entry journal: chart of accounts (小企业会计准则), entries and lines

Revision ID: d8b3f1a6c402
Revises: 4b7e2a9c1d53
Create Date: 2026-11-22 16:30:00
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = 'd8b3f1a6c402'
down_revision = '4b7e2a9c1d53'
branch_labels = None
depends_on = None

#: The default chart of accounts as this revision seeds it (code, English, Chinese, type).
CHART = (
    ('1001', 'Cash on hand', '库存现金', 'asset'),
    ('1002', 'Bank deposits', '银行存款', 'asset'),
    ('1122', 'Accounts receivable', '应收账款', 'asset'),
    ('1403', 'Raw materials', '原材料', 'asset'),
    ('1405', 'Finished goods', '库存商品', 'asset'),
    ('1901', 'Unsettled asset gains and losses', '待处理财产损溢', 'asset'),
    ('2202', 'Accounts payable', '应付账款', 'liability'),
    ('2202.01', 'Accounts payable - goods received not invoiced', '应付账款—暂估应付', 'liability'),
    ('2203', 'Advances from customers', '预收账款', 'liability'),
    ('2221.01', 'VAT payable - output VAT', '应交税费—应交增值税(销项税额)', 'liability'),
    ('3103', 'Profit of the year', '本年利润', 'equity'),
    ('3104', 'Profit distribution - opening balances', '利润分配—未分配利润(期初)', 'equity'),
    ('4001', 'Production cost (work in progress)', '生产成本', 'asset'),
    ('5001', 'Main business revenue', '主营业务收入', 'revenue'),
    ('5401', 'Main business cost (cost of goods sold)', '主营业务成本', 'expense'),
)


def upgrade() -> None:
    account = op.create_table('finance_account',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_finance_account'))
    )
    op.create_table('finance_journal_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('source_type', sa.String(length=30), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('memo', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_finance_journal_entry_created_by_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_journal_entry')),
    sa.UniqueConstraint('number', name=op.f('uq_finance_journal_entry_number'))
    )
    with op.batch_alter_table('finance_journal_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finance_journal_entry_entry_date'), ['entry_date'], unique=False)
        batch_op.create_index('ix_finance_journal_entry_source', ['source_type', 'source_id'], unique=False)

    op.create_table('finance_journal_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('account_code', sa.String(length=20), nullable=False),
    sa.Column('debit', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('credit', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('debit = 0 OR credit = 0', name=op.f('ck_finance_journal_line_debit_or_credit')),
    sa.CheckConstraint('debit >= 0 AND credit >= 0', name=op.f('ck_finance_journal_line_amounts_not_negative')),
    sa.ForeignKeyConstraint(['account_code'], ['finance_account.code'], name=op.f('fk_finance_journal_line_account_code_finance_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['finance_journal_entry.id'], name=op.f('fk_finance_journal_line_entry_id_finance_journal_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_journal_line'))
    )
    with op.batch_alter_table('finance_journal_line', schema=None) as batch_op:
        batch_op.create_index('ix_finance_journal_line_account_customer', ['account_code', 'customer_id'], unique=False)
        batch_op.create_index('ix_finance_journal_line_account_product', ['account_code', 'product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finance_journal_line_entry_id'), ['entry_id'], unique=False)

    op.bulk_insert(account, [{"code": code, "name_en": en, "name_zh": zh, "type": kind, "active": True}
                             for code, en, zh, kind in CHART])


def downgrade() -> None:
    with op.batch_alter_table('finance_journal_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finance_journal_line_entry_id'))
        batch_op.drop_index('ix_finance_journal_line_account_product')
        batch_op.drop_index('ix_finance_journal_line_account_customer')

    op.drop_table('finance_journal_line')
    with op.batch_alter_table('finance_journal_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_finance_journal_entry_source')
        batch_op.drop_index(batch_op.f('ix_finance_journal_entry_entry_date'))

    op.drop_table('finance_journal_entry')
    op.drop_table('finance_account')
