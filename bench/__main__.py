"""Run the benchmarks, print the figures and write them to docs/benchmarks.md.

    .venv/bin/python -m bench                 # every benchmark; writes docs/benchmarks.md
    .venv/bin/python -m bench numbering       # some of them; prints only (add --write to write)

Every module of this package with a `run(target)` is a benchmark (see bench/__init__.py)."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import sqlalchemy

import bench
from bench import POSTGRES_URL, SECONDS, Figure, fresh_target, postgres_problem

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def discover() -> dict[str, ModuleType]:
    found = {}
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module
    return found


def machine() -> dict[str, str]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB memory"
                break
    except OSError:
        pass
    load = f", load average {os.getloadavg()[0]:.1f} at the start" if hasattr(os, "getloadavg") else ""
    return {"cores": str(cores), "machine": f"{cores} cores (`nproc`), {cpu}{memory}, {platform.system()}{load}",
            "software": f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}"}


def run_all(modules: dict[str, ModuleType], dialects: list[str]) -> list[Figure]:
    figures: list[Figure] = []
    for module in modules.values():
        for dialect in dialects:
            if dialect not in getattr(module, "DATABASES", ("sqlite", "postgresql")):
                continue
            print(f"  {module.TITLE} on {dialect} ...", file=sys.stderr, flush=True)
            try:
                with tempfile.TemporaryDirectory(prefix="bench-") as tmp, \
                        fresh_target(dialect, Path(tmp)) as target:
                    figures.extend(module.run(target))
            except Exception as exc:  # noqa: BLE001 - a broken benchmark is reported, the others still run
                traceback.print_exc()
                figures.append(Figure(module.TITLE, dialect, "-", 0, 0.0, "", error=f"{type(exc).__name__}: {exc}"))
    return figures


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    goals = any(f.goal for f in figures)
    head = "| benchmark | database | clients | done | in s | rate | p50 ms | p95 ms |" + (" goal |" if goals else "")
    rows = [head + " note |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |" + (" --- |" if goals else "")
            + " --- |"]
    for f in figures:
        goal = f" {f.verdict} |" if goals else ""
        if f.error:
            rows.append(f"| {f.benchmark} | {f.database} | {f.setting} | | | | | |{goal} FAILED: {f.error} |")
            continue
        rate = f.value or f"{f.rate:,.0f} {f.unit}"
        rows.append(f"| {f.benchmark} | {f.database} | {f.setting} | {f.count} | {f.seconds:.1f} | "
                    f"{rate} | {_ms(f.percentile(50))} | {_ms(f.percentile(95))} |{goal} {f.note} |")
    return "\n".join(rows)


def details(figures: list[Figure]) -> str:
    parts = [f"### {f.benchmark}, {f.database}, {f.setting}\n\n{f.detail.strip()}\n" for f in figures if f.detail]
    return "\n## Details\n\n" + "\n".join(parts) if parts else ""


def document(figures: list[Figure], modules: dict[str, ModuleType], info: dict[str, str], started: datetime,
             elapsed: float, postgres: str) -> str:
    described = "\n".join(f"- **{m.TITLE}** (`bench/{name}.py`): {m.DESCRIPTION}" for name, m in modules.items())
    return f"""# Benchmarks

Platform figures measured by `make bench` (`.venv/bin/python -m bench`), which rewrites this page.
Each figure comes from a fresh database migrated to head: the embedded SQLite file and, when it is
reachable, PostgreSQL (a schema of its own, dropped afterwards). Each measurement runs for about
{SECONDS:g} s. Latencies are per call (p50 = median, p95 = 95th percentile); "rate" is calls per
second of wall time, all clients together. Where an issue set a goal for a figure, the goal column
says whether this run met it. These are figures of this machine, not promises: compare runs on the
same machine, and mind the load average below (other work on the machine slows every figure down).

| run | |
| --- | --- |
| date | {started:%Y-%m-%d %H:%M} UTC (took {elapsed:.0f} s) |
| machine | {info['machine']}{info.get('load_end', '')} |
| software | {info['software']} |
| PostgreSQL | {postgres} |

## What is measured

{described}

## Figures

{table(figures)}
{details(figures)}

## Adding a benchmark

Add a module `bench/<name>.py` with `TITLE`, `DESCRIPTION`, optionally `DATABASES`, and
`run(target) -> list[Figure]` (see `bench/__init__.py`: `measure` for one client, `parallel` for
several; a figure may carry a `goal` and whether it was `met`, and a `detail` shown below the table);
`python -m bench` picks it up. Keep each measurement to a few seconds.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md after a partial run too")
    parser.add_argument("--no-write", action="store_true", help="only print")
    args = parser.parse_args(argv)

    modules = discover()
    unknown = set(args.names) - set(modules)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; there are {sorted(modules)}")
    if args.names:
        modules = {name: modules[name] for name in args.names}

    problem = postgres_problem()
    dialects = ["sqlite"] if problem else ["sqlite", "postgresql"]
    host = POSTGRES_URL.split("@")[-1]
    postgres = f"not reachable at {host} ({problem}): SQLite only" if problem else f"measured at {host}"
    print(f"PostgreSQL {postgres}", file=sys.stderr)

    started, began, info = datetime.now(UTC), time.perf_counter(), machine()
    figures = run_all(modules, dialects)
    elapsed = time.perf_counter() - began
    if hasattr(os, "getloadavg"):
        info["load_end"] = f", {os.getloadavg()[0]:.1f} at the end"
    print(f"\n{started:%Y-%m-%d %H:%M} UTC, {info['machine']}\n{info['software']}\n")
    print(table(figures))
    print(details(figures))
    failed = [f for f in figures if f.error]
    if failed:
        print(f"\n{len(failed)} figure(s) failed their own correctness check: nothing is written", file=sys.stderr)
        return 1
    if not args.no_write and (args.write or not args.names):
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(document(figures, modules, info, started, elapsed, postgres))
        print(f"\nWritten to {OUTPUT.relative_to(Path.cwd()) if OUTPUT.is_relative_to(Path.cwd()) else OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
