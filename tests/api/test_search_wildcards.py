"""A search box matches what was typed: `%` and `_` are characters, never wildcards."""

from __future__ import annotations

import pytest

from core import services
from tests.conftest import api_as, ok, uow_for


@pytest.fixture
def customers(db):
    uow = uow_for(db)
    for code, name in (("WC-1", "Plain Pumps"), ("WC-2", "100% Valves"), ("WC-3", "Under_score Works"),
                       ("WC-4", "Back\\slash Ltd")):
        services.create_customer(uow, {"code": code, "name": name})


@pytest.mark.parametrize("typed, names", [
    ("%", ["100% Valves"]),
    ("_", ["Under_score Works"]),
    ("\\", ["Back\\slash Ltd"]),
    ("0%", ["100% Valves"]),
    ("r_s", ["Under_score Works"]),
    ("pumps", ["Plain Pumps"]),
])
def test_wildcard_characters_in_a_search_match_only_themselves(client, db, customers, typed, names):
    admin = api_as(client, db, "admin")

    found = ok(admin.get("/customers", query_string={"q": typed, "per_page": 100}))

    assert sorted(c["name"] for c in found["items"] if c["code"].startswith("WC-")) == names
    assert all(typed.lower() in c["name"].lower() or typed.lower() in c["code"].lower()
               or typed.lower() in (c.get("email") or "").lower() for c in found["items"])
