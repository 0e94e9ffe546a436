"""REST API throughput: create a customer, read a page of the customer list."""

from __future__ import annotations

import itertools

from bench import Figure, Target, measure
from core import services
from core.app import create_app
from core.config import Settings
from core.web import system_uow

TITLE = "REST API: customers"
DESCRIPTION = ("`POST /api/v1/customers` (create one customer) and then `GET /api/v1/customers?per_page=25` "
               "(the first page of the list) through Flask's test client: the whole app in-process (routing, "
               "bearer-token check, schema, service, permission scope, audit, commit) without a network "
               "or a server; one client, sequential requests, with a token from `POST /api/v1/auth/token` "
               "for an admin made by `core.services.create_user`.")
DATABASES = ("sqlite", "postgresql")
USER, PASSWORD = "bench-admin", "bench-password-1"


class Refused(Exception):
    """The API answered something else than the benchmark expects."""


def _check(answer, status: int) -> dict:
    if answer.status_code != status:
        raise Refused(f"HTTP {answer.status_code}: {answer.get_data(as_text=True)[:200]}")
    return answer.get_json()


def _client(target: Target):
    settings = Settings.from_env({"DATABASE_URL": target.url, "SECRET_KEY": "bench-secret",
                                  "INSTANCE_PATH": str(target.workdir / "instance")})
    app = create_app(settings)
    with app.app_context():
        uow = system_uow()
        services.create_user(uow, {"username": USER, "role": "admin", "password": PASSWORD,
                                   "full_name": "Benchmark", "team": None})
        uow.session.close()
    client = app.test_client()
    token = _check(client.post("/api/v1/auth/token", json={"username": USER, "password": PASSWORD}), 200)
    return app, client, {"Authorization": f"Bearer {token['access_token']}"}


def _figure(name: str, target: Target, action) -> Figure:
    try:
        run = action()
    except Refused as exc:
        return Figure(name, target.label, "1 client", 0, 0.0, "requests/s", error=str(exc))
    return Figure(name, target.label, "1 client", run.count, run.seconds, "requests/s", run.latencies_ms)


def run(target: Target) -> list[Figure]:
    app, client, headers = _client(target)
    codes = itertools.count(1)
    seen = {"total": 0}

    def create() -> None:
        n = next(codes)
        _check(client.post("/api/v1/customers", headers=headers,
                           json={"code": f"BENCH{n:07d}", "name": f"Benchmark customer {n}"}), 201)

    def read_page() -> None:
        body = _check(client.get("/api/v1/customers?per_page=25", headers=headers), 200)
        if len(body["items"]) != min(25, body["total"]):
            raise Refused(f"a page of {len(body['items'])} items out of {body['total']}")
        seen["total"] = body["total"]

    figures = [_figure("API POST /customers", target, lambda: measure(create))]
    listing = _figure("API GET /customers?per_page=25", target, lambda: measure(read_page))
    listing.note = f"a list of {seen['total']} customers"
    figures.append(listing)
    app.extensions["db"].engine.dispose()
    return figures
