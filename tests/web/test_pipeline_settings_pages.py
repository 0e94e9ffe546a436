"""The pipeline settings page: a sales manager adds a pipeline and a stage, reprices and retires
stages through its forms (CSRF), refusals come back as messages with nothing changed, a rep only
reads it, and the board offers a pipeline selector once there is more than one pipeline and weights
its cards with the configured probability."""

from __future__ import annotations

from decimal import Decimal

from core import services as core_services
from core.db import utcnow
from crm.pipeline import services as pipeline
from crm.pipeline import settings
from crm.pipeline.models import Pipeline, Stage
from tests.conftest import make_user, uow_for
from tests.web.test_forms import csrf_token, sign_in
from tests.web.test_orders_web import text_of

D = Decimal


def test_a_manager_configures_pipelines_and_stages_on_the_settings_page(client, db):
    manager = make_user(db, "sales_manager")
    sign_in(client, manager)
    token = csrf_token(client, "/pipeline/settings")

    created = client.post("/pipeline/settings/pipelines", data={"csrf_token": token, "name": "Projects",
                                                                "code": "projects"}, follow_redirects=True)
    assert "Pipeline Projects created." in text_of(created.get_data(as_text=True))
    found = db.query(Pipeline).filter_by(code="projects").one()

    added = client.post(f"/pipeline/settings/pipelines/{found.id}/stages", follow_redirects=True, data={
        "csrf_token": token, "code": "tender", "name": "Tender", "probability": "0.4", "position": "1",
        "exit_fields_sent": "1", "exit_fields": ["amount", "budget"]})
    page = added.get_data(as_text=True)
    assert "Stage Tender added." in text_of(page) and 'data-stage="tender"' in page
    tender = db.query(Stage).filter_by(pipeline_id=found.id, code="tender").one()
    assert (tender.position, tender.probability, tender.exit_fields) == (1, D("0.4000"), ["amount", "budget"])

    refused = client.post(f"/pipeline/settings/stages/{tender.id}", follow_redirects=True, data={
        "csrf_token": token, "name": "Tender", "probability": "2", "position": "1", "exit_fields_sent": "1"})
    assert "A number from 0 to 1" in text_of(refused.get_data(as_text=True))
    db.expire_all()
    assert (tender.probability, tender.exit_fields) == (D("0.4000"), ["amount", "budget"])

    client.post(f"/pipeline/settings/stages/{tender.id}", data={
        "csrf_token": token, "name": "Public tender", "probability": "0.55", "position": "2",
        "exit_fields_sent": "1", "exit_fields": ["amount"]})
    retired = client.post(f"/pipeline/settings/stages/{tender.id}", data={"csrf_token": token, "active": "0"},
                          follow_redirects=True)
    assert "Stage Public tender saved." in text_of(retired.get_data(as_text=True))
    db.expire_all()
    assert (tender.name, tender.probability, tender.exit_fields, tender.active) == (
        "Public tender", D("0.5500"), ["amount"], False)

    no_token = client.post("/pipeline/settings/pipelines", data={"name": "Other", "code": "other"})
    assert no_token.status_code == 400 and db.query(Pipeline).filter_by(code="other").count() == 0


def test_a_rep_reads_the_settings_but_has_no_forms_and_cannot_post(client, db):
    rep = make_user(db, "sales_rep")
    sign_in(client, rep)

    page = client.get("/pipeline/settings")

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Qualification" in html and "Create pipeline" not in html
    token = csrf_token(client, "/pipeline/board")
    assert "Pipeline settings" not in client.get("/pipeline/board").get_data(as_text=True)
    assert client.post("/pipeline/settings/pipelines", data={"csrf_token": token, "name": "Mine",
                                                             "code": "mine"}).status_code == 403


def test_the_board_offers_a_pipeline_selector_and_uses_the_configured_probability(client, db):
    manager = make_user(db, "sales_manager", team="bs")
    rep = make_user(db, "sales_rep", team="bs")
    customer = core_services.create_customer(uow_for(db, rep), {"code": "BS-1", "name": "Board Co"})
    opportunity = pipeline.create_opportunity(uow_for(db, rep), {"customer_id": customer.id, "name": "Pumps",
                                                                 "amount": D("10000")}, now=utcnow())
    sign_in(client, manager)
    assert '<select name="pipeline_id"' not in client.get("/pipeline/board").get_data(as_text=True)

    other = settings.create_pipeline(uow_for(db, manager), {"name": "Service", "code": "service"})
    settings.update_stage(uow_for(db, manager), opportunity.stage_id, {"probability": D("0.3")})

    board = client.get("/pipeline/board").get_data(as_text=True)
    assert '<select name="pipeline_id"' in board and "Service" in board and "Pipeline settings" in board
    column = board.split('data-stage="qualification"')[1].split("</section>")[0]
    assert "30%" in text_of(column) and "3,000.00" in text_of(column)
    service = client.get(f"/pipeline/board?pipeline_id={other.id}").get_data(as_text=True)
    assert 'data-card="' not in service
