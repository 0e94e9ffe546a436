"""The lead import page: upload, dry-run report, commit."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from crm.leads import services
from crm.leads.models import Lead
from tests.conftest import make_user, uow_for
from tests.web.test_forms import csrf_token, sign_in

DATA = Path(__file__).resolve().parents[1] / "data"


def count(db) -> int:
    return db.scalar(select(func.count()).select_from(Lead))


def test_the_import_page_shows_the_dry_run_report_and_loads_on_commit(client, db):
    services.create_scoring_rule(uow_for(db), {"field": "industry", "value": "manufacturing", "points": 70,
                                               "label": "Manufacturing"})
    rep = make_user(db, "sales_rep")
    sign_in(client, rep)
    body = (DATA / "leads.csv").read_bytes()
    token = csrf_token(client, "/leads/import")

    page = client.post("/leads/import", data={"csrf_token": token, "file": (io.BytesIO(body), "leads.csv"),
                                              "commit": "0"}, content_type="multipart/form-data")

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Not a valid e-mail address." in html and "宁波精工机械有限公司" in html
    assert "Dry run: nothing was saved." in html
    assert count(db) == 0
    loaded = client.post("/leads/import", data={"csrf_token": token, "file": (io.BytesIO(body), "leads.csv"),
                                                "commit": "1"}, content_type="multipart/form-data")
    assert loaded.status_code == 200 and "4 leads loaded." in loaded.get_data(as_text=True)
    assert count(db) == 4


def test_the_import_page_is_closed_to_roles_that_do_not_capture_leads(client, db):
    sign_in(client, make_user(db, "warehouse"))
    assert client.get("/leads/import").status_code == 403
