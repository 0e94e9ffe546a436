"""A real Celery worker on Redis for tests that send work through the broker.

`celery_worker()` gives a fresh migrated database of its own (PostgreSQL when asked, or when
`TEST_DATABASE_URL` is set as in CI; else a SQLite file that the worker process opens too), starts a
worker process on a queue of its own against it, and yields an app on the same database and queue,
inside its app context. On leaving it stops the worker and keeps its log for the assertions.
Redis (and PostgreSQL where used) must be reachable: the test is skipped without them, failed in CI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from flask import Flask

from core.app import create_app
from tests.conftest import REDIS_URL, fresh_database, require_redis, settings_for

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


@dataclass
class Worker:
    app: Flask
    queue: str
    process: subprocess.Popen
    log: str = ""

    def session(self):
        """A new session on the worker's database (use as a context manager)."""
        return self.app.extensions["db"].sessionmaker()

    def send(self, task: str) -> None:
        self.app.extensions["celery"].send_task(task, queue=self.queue)

    def wait_for(self, probe: Callable[[], T], seconds: float = 90) -> T:
        """Calls `probe` until it gives a true value, the worker exits or time runs out; its last value."""
        deadline = time.monotonic() + seconds
        while True:
            found = probe()
            if found or time.monotonic() >= deadline or self.process.poll() is not None:
                return found
            time.sleep(0.3)


@contextmanager
def celery_worker(tmp_path: Path, *, postgres: bool | None = None, **env: str) -> Iterator[Worker]:
    require_redis()
    if postgres is None:
        postgres = bool(os.environ.get("TEST_DATABASE_URL"))
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with fresh_database(tmp_path, postgres=postgres) as url:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "core.worker", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "CELERY_QUEUE": queue,
                           "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path), **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        app = create_app(settings_for(url, tmp_path, redis_url=REDIS_URL, celery_queue=queue))
        worker = Worker(app, queue, process)
        try:
            with app.app_context():
                yield worker
        finally:
            process.terminate()
            try:
                worker.log = process.communicate(timeout=20)[0]
            except subprocess.TimeoutExpired:
                process.kill()
                worker.log = process.communicate()[0]
            app.extensions["db"].engine.dispose()
