"""The password policy: at least 10 characters and not a common password (zxcvbn), wherever a person
chooses a password; the demo company keeps its one published password."""

import pytest
from sqlalchemy import select

from core import services
from core.app import create_app
from core.auth import password_problems, verify_password
from core.demo import DEMO_PASSWORD, DEMO_USERS
from core.errors import InvalidInput
from core.models import User
from tests.conftest import PASSWORD, fresh_database, make_user, settings_for, uow_for


@pytest.mark.parametrize("password", ["short-pw", "123456789"])
def test_a_password_under_10_characters_is_refused(password):
    assert password_problems(password) == ["Use at least 10 characters."]


@pytest.mark.parametrize("password", ["1234567890", "password123", "qwertyuiop", "P@ssw0rd123", "iloveyou12",
                                      "letmein2024"])
def test_a_common_password_or_an_easy_variation_of_one_is_refused(password):
    assert len(password) >= 10
    assert password_problems(password) == [
        "This password is too common or too easy to guess; use a longer phrase of unrelated words."]


def test_a_password_made_of_the_users_own_name_is_refused():
    assert password_problems("wangfang2024") == []
    assert password_problems("wangfang2024", user_inputs=["wang.fang", "Wang Fang"]) != []


@pytest.mark.parametrize("password", [PASSWORD, "blue-pump-station", "choose-a-long-one", "Kq7!v#Lm2Z" * 10])
def test_a_long_uncommon_password_is_accepted(password):
    assert password_problems(password) == []


def test_creating_a_user_with_a_weak_password_is_refused_and_stores_nothing(db):
    with pytest.raises(InvalidInput) as refused:
        services.create_user(uow_for(db), {"username": "weak.one", "role": "sales_rep", "password": "password123"})
    assert list(refused.value.fields) == ["password"]
    assert db.scalar(select(User).where(User.username == "weak.one")) is None


def test_a_new_password_must_pass_the_policy_too(db):
    user = make_user(db, "sales_rep")
    with pytest.raises(InvalidInput):
        services.set_password(uow_for(db), user.id, "qwertyuiop")
    services.set_password(uow_for(db), user.id, "green-valve-harbour")
    assert verify_password(db.get(User, user.id).password_hash, "green-valve-harbour")


def test_the_cli_refuses_a_common_password(tmp_path):
    with fresh_database(tmp_path, postgres=False) as url:
        app = create_app(settings_for(url, tmp_path))
        answer = app.test_cli_runner().invoke(
            args=["users", "create", "boss", "--role", "admin", "--password", "password1234"])
        app.extensions["db"].engine.dispose()
    assert answer.exit_code != 0 and "too common" in answer.output


def test_the_demo_users_keep_their_published_password(tmp_path):
    assert password_problems(DEMO_PASSWORD) != []  # it is below the policy: only the demo loader sets it
    with fresh_database(tmp_path, postgres=False) as url:
        app = create_app(settings_for(url, tmp_path))
        assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
        client = app.test_client()
        answer = client.post("/api/v1/auth/token", json={"username": DEMO_USERS[0][0], "password": DEMO_PASSWORD})
        app.extensions["db"].engine.dispose()
    assert answer.status_code == 200
