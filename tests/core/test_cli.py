"""The command line of the API contract: users, schema and the demo company."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.app import create_app
from core.auth import verify_password
from core.db import make_engine
from core.models import Customer, Product, Supplier, User
from tests.conftest import fresh_database, settings_for


def _counts(engine):
    with Session(engine) as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m)) for m in (User, Customer, Product, Supplier)}


def test_users_create_makes_a_user_with_a_hashed_password_and_refuses_bad_input(tmp_path):
    with fresh_database(tmp_path, postgres=False) as url:
        app = create_app(settings_for(url, tmp_path))
        runner = app.test_cli_runner()
        ok = runner.invoke(args=["users", "create", "boss", "--role", "management", "--password", "long-enough-pw"])
        assert ok.exit_code == 0, ok.output
        duplicate = runner.invoke(args=["users", "create", "boss", "--role", "admin", "--password", "long-enough-pw"])
        short = runner.invoke(args=["users", "create", "tiny", "--role", "admin", "--password", "short"])
        role = runner.invoke(args=["users", "create", "who", "--role", "emperor", "--password", "long-enough-pw"])
        with Session(app.extensions["db"].engine) as s:
            users = {u.username: u for u in s.scalars(select(User))}
        app.extensions["db"].engine.dispose()
    assert users["boss"].role == "management" and verify_password(users["boss"].password_hash, "long-enough-pw")
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    assert short.exit_code != 0 and "password" in short.output
    assert role.exit_code != 0
    assert set(users) == {"boss"}


def test_the_demo_company_loads_once_and_a_second_load_changes_nothing(tmp_path):
    with fresh_database(tmp_path, postgres=False) as url:
        app = create_app(settings_for(url, tmp_path))
        runner = app.test_cli_runner()
        first = runner.invoke(args=["demo", "load"])
        assert first.exit_code == 0, first.output
        engine = make_engine(url)
        after_first = _counts(engine)
        second = runner.invoke(args=["demo", "load"])
        assert second.exit_code == 0, second.output
        after_second = _counts(engine)
        with Session(engine) as s:
            tiers = set(s.scalars(select(Customer.tier)))
            kinds = set(s.scalars(select(Product.kind)))
            regions = set(s.scalars(select(Customer.region)))
            roles = set(s.scalars(select(User.role)))
        engine.dispose()
        app.extensions["db"].engine.dispose()
    assert after_first == after_second
    assert after_first["Customer"] >= 50 and after_first["Product"] >= 200
    assert tiers == {"A", "B", "C"} and kinds == {"buy", "make", "service"} and len(regions) >= 5
    assert roles == {"admin", "sales_rep", "sales_manager", "finance", "warehouse", "purchasing",
                     "production", "management"}
