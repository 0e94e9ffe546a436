"""Order confirmation over HTTP: `POST /api/v1/sales-orders/{id}/confirm` through gunicorn."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import SECONDS, Figure, Target, clients_label
from bench._order_to_plan import (
    Suite,
    build_lanes,
    check_like_order_1,
    customer,
    named,
    rounds,
    sample_lock_waits,
    suppliers,
)
from core import services as core_services

TITLE = "Order confirmation (HTTP, gunicorn)"
WORKERS = 4
DESCRIPTION = (f"`POST /api/v1/sales-orders/{{id}}/confirm` through gunicorn ({WORKERS} workers of "
               "`core.app:create_app()` on a free 127.0.0.1 port, `DATABASE_URL` pointing at the benchmark's "
               "schema; the default `sync` worker, as the Dockerfile and docker-compose.yml run it), driven by "
               "1 and 4 client threads, each with one keep-alive `http.client` connection (a `sync` worker "
               "answers `Connection: close`, so the client reconnects for each request: the note counts the "
               "TCP connections; a keep-alive `gthread` worker may take several clients' connections and "
               "serve them one after the other, which measures the luck of `accept`) and a "
               "bearer token from `POST /api/v1/auth/token` for an admin made by `core.services.create_user`. "
               "The orders are shaped like order 1 and confirmed in rounds exactly as in the service-layer "
               "benchmark (the last orders cancelled and drafts entered through the services before each round, "
               "untimed); "
               "latency is the client's, from sending the request to reading the whole answer.")
DATABASES = ("postgresql",)
LANES_PER_CLIENT = 6
CLIENTS = (1, 4)
GOAL_RATE, GOAL_P95 = 150, 50.0  # orders/s, ms
USER, PASSWORD = "bench-http-admin", "bench-password-1"
ROOT = Path(__file__).resolve().parent.parent
MAX_ORDERS = 2_000


class Refused(Exception):
    """The server answered something else than the benchmark expects."""


class Connection(http.client.HTTPConnection):
    """A keep-alive connection that counts how often it had to (re)connect."""

    connects = 0

    def connect(self) -> None:
        type(self).connects += 1
        super().connect()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(conn: http.client.HTTPConnection, path: str, body: dict | None, headers: dict) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    conn.request("POST", path, body=data, headers={**headers, "Content-Type": "application/json",
                                                   "Content-Length": str(len(data))})
    answer = conn.getresponse()
    return answer.status, answer.read()


class Server:
    """gunicorn serving the app on the target's database; stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, target: Target, name: str) -> None:
        self.port = _free_port()
        env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL",)}
        env.update(DATABASE_URL=named(target, name), SECRET_KEY="bench-secret", INSTANCE_PATH=str(target.workdir / "instance"))
        self.log = (target.workdir / "gunicorn.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS),
             "--log-level", "warning", "core.app:create_app()"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def token(self, *, within: float = 30.0) -> str:
        """Wait until the server answers (bounded), then sign in."""
        deadline = time.monotonic() + within
        while True:
            if self.process.poll() is not None:
                raise Refused(f"gunicorn exited with {self.process.returncode}; see its log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                status, body = _post(conn, "/api/v1/auth/token", {"username": USER, "password": PASSWORD}, {})
                conn.close()
                if status != 200:
                    raise Refused(f"token: HTTP {status}: {body[:200]!r}")
                return json.loads(body)["access_token"]
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


def run(target: Target) -> list[Figure]:
    suite = Suite(target, pool_size=5, name="bench-http-setup")
    server = None
    try:
        setup = suite.uow()
        with suite.app.app_context():
            core_services.create_user(setup, {"username": USER, "role": "admin", "password": PASSWORD,
                                              "full_name": "Benchmark", "team": None})
        supplier_ids = suppliers(setup, "OH")
        lanes = []
        for client in range(max(CLIENTS)):
            customer_id = customer(setup, f"OH-CUST{client}")
            lanes.append(build_lanes(setup, f"OH{client}L", LANES_PER_CLIENT, customer_id=customer_id,
                                     supplier_ids=supplier_ids))
        setup.session.close()
        server = Server(target, "bench-http-gunicorn")
        headers = {"Authorization": f"Bearer {server.token()}"}
        connections: list[http.client.HTTPConnection] = []

        def make_confirm():
            conn = Connection("127.0.0.1", server.port, timeout=30)
            connections.append(conn)

            def confirm(order_id: int) -> None:
                status, body = _post(conn, f"/api/v1/sales-orders/{order_id}/confirm", None, headers)
                if status != 200 or json.loads(body)["state"] != "confirmed":
                    raise Refused(f"confirm {order_id}: HTTP {status}: {body[:300]!r}")
            return confirm

        figures = []
        for clients in CLIENTS:
            Connection.connects = 0
            with sample_lock_waits(suite.engine, "bench-http-gunicorn") as waits:
                found = rounds(lanes[:clients], make_uow=suite.uow, make_confirm=make_confirm, seconds=SECONDS,
                               max_orders=MAX_ORDERS)
            for conn in connections:
                conn.close()
            connections.clear()
            figure = Figure(TITLE, target.label, clients_label(clients), found.run.count,
                            found.run.seconds, "orders/s", found.run.latencies_ms,
                            goal=f"≥ {GOAL_RATE} orders/s, p95 ≤ {GOAL_P95:g} ms",
                            note=f"{found.timed_rounds}; {check_like_order_1(suite.uow(), found.order_ids)}; "
                                 f"{Connection.connects} TCP connections for {len(found.order_ids)} requests; "
                                 f"gunicorn's sessions: {waits.summary()}")
            figure.met = figure.rate >= GOAL_RATE and (figure.percentile(95) or 0) <= GOAL_P95
            figures.append(figure)
        return figures
    finally:
        if server is not None:
            server.stop()
        suite.close()
