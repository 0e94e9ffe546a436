"""The unit of work as the scope of one act: leaving `with uow:` rolls back whatever the act did not
commit (a refusal, or a return before the commit) and keeps what it committed. A request is scoped the
same way: a refusal that leaves a view is rolled back before the error handler answers."""

import pytest
from sqlalchemy import func, select

from core.errors import DomainError
from core.models import OutboxMessage
from core.web import get_session
from tests.conftest import make_user, uow_for


def _messages(db) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMessage))


def test_an_act_left_without_commit_is_rolled_back_with_its_after_commit_work(db):
    ran = []
    with uow_for(db) as uow:
        uow.enqueue("notify.user", {"user_id": 1, "message": "never sent"})
        uow.after_commit(lambda: ran.append("hook"))
        uow.session.flush()  # the row is written in the transaction
        assert _messages(db) == 1
    assert _messages(db) == 0
    uow.commit()  # nothing queued by the abandoned act survives into a later commit
    assert ran == [] and _messages(db) == 0


def test_an_act_refused_inside_the_block_is_rolled_back_before_the_refusal_is_handled(db):
    with pytest.raises(DomainError), uow_for(db) as uow:
        uow.enqueue("notify.user", {"user_id": 1, "message": "refused"})
        uow.session.flush()
        raise DomainError("Refused.")
    assert _messages(db) == 0


def test_a_committed_act_stays_after_the_block(db):
    user = make_user(db, "sales_rep")
    with uow_for(db, user) as uow:
        uow.enqueue("notify.user", {"user_id": user.id, "message": "kept"})
        uow.commit()
    assert _messages(db) == 1
    assert uow.actor_id == user.id and uow_for(db).actor_id is None


def test_a_refusal_leaving_a_view_is_rolled_back_before_the_error_handler_answers(app, db, monkeypatch):
    def refusing_view():
        get_session().add(OutboxMessage(topic="notify.user", payload={"user_id": 1, "message": "refused"}))
        get_session().flush()
        raise DomainError("Refused.")

    with app.test_request_context("/api/v1/openapi.json"):
        monkeypatch.setitem(app.view_functions, "api-docs.openapi_json", refusing_view)
        response = app.full_dispatch_request()
        assert response.status_code == 409 and response.get_json()["error"]["message"] == "Refused."
        assert _messages(get_session()) == 0  # a later read in the same request sees the state before the act
