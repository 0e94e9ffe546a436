"""The production deployment points at things that exist.

Nothing here needs Docker. `docker-compose.yml` and the `Dockerfile` are parsed, and every
command the containers run is resolved against the code: the gunicorn target is imported, the
Celery app is loaded, the flask CLI commands are looked up in the app's CLI. Each check is a
`*_problems` function that returns what is wrong; the tests assert that nothing is, and the
tests at the end feed broken copies to the checks to show that each one notices.
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import click
import pytest
import yaml

from tests.conftest import fresh_database, settings_for

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
MAKEFILE = ROOT / "Makefile"
README = ROOT / "README.md"

INFRA = ("postgres", "redis")
APP_SERVICES = ("web", "worker", "beat")
SERVICES = INFRA + APP_SERVICES
# Variables an app container may set that are not the suite's settings.
NON_SETTINGS_VARIABLES = {"WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "PYTHONUNBUFFERED", "TZ"}
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|KEY)$")
REQUIRED_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]*\}$")  # ${NAME:?message}
REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?+][^}]*)?\}")
SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash"}
OPERATORS = {"&&", "||", ";", "|", "&"}


# --------------------------------------------------------------------------- reading the files


def load_compose(text: str | None = None) -> dict:
    return yaml.safe_load(COMPOSE.read_text() if text is None else text)


def invocations(command) -> list[list[str]]:
    """The programs a compose `command` runs, each as argv (`sh -c "a && exec b"` gives two)."""
    if not command:
        return []
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    if len(argv) >= 3 and argv[0] in SHELLS and argv[1].startswith("-") and "c" in argv[1]:
        lexer = shlex.shlex(argv[2], posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    else:
        tokens = argv
    found: list[list[str]] = []
    current: list[str] = []
    for token in tokens + [";"]:
        if token in OPERATORS:
            if current:
                found.append(current[1:] if current[0] == "exec" else current)
            current = []
        else:
            current.append(token)
    return found


def option_value(argv: list[str], *names: str) -> str | None:
    for i, token in enumerate(argv):
        for name in names:
            if token == name and i + 1 < len(argv):
                return argv[i + 1]
            if name.startswith("--") and token.startswith(name + "="):
                return token.split("=", 1)[1]
    return None


def programs(compose: dict, program: str) -> list[tuple[str, list[str]]]:
    return [(name, argv) for name, service in compose.get("services", {}).items()
            for argv in invocations(service.get("command")) if argv and Path(argv[0]).name == program]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def healthcheck_text(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test") or ""
    return " ".join(str(t) for t in test) if isinstance(test, list) else str(test)


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction; continuation lines joined, comments dropped."""
    found, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not current):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            keyword, _, rest = current.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
        current = ""
    return found


def stages(instructions: list[tuple[str, str]]) -> list[dict]:
    """Each build stage: its base image, name and instructions."""
    result: list[dict] = []
    for keyword, rest in instructions:
        if keyword == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            result.append({"image": words[0], "name": name, "instructions": []})
        elif result:
            result[-1]["instructions"].append((keyword, rest))
    return result


def copy_arguments(rest: str) -> tuple[dict[str, str], list[str], str]:
    words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--") and "=" in w)
    paths = [w for w in words if not w.startswith("--")]
    return flags, paths[:-1], paths[-1]


def ignore_patterns(text: str) -> list[tuple[bool, re.Pattern]]:
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line.lstrip("!").strip("/")
        regex = re.escape(line).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        patterns.append((negate, re.compile(f"^{regex}$")))
    return patterns


def ignored(path: str, patterns: list[tuple[bool, re.Pattern]]) -> bool:
    """Whether .dockerignore keeps `path` (relative, posix) out of the build context."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negate, pattern in patterns:
        if any(pattern.match(c) for c in candidates):
            excluded = not negate
    return excluded


def vendor_copies(script: str, vendor_prefix: str) -> set[tuple[str, str]]:
    """(node_modules source, folder under the vendor folder) for each `cp` in a shell script."""
    found = set()
    for line in re.split(r"&&|;|\n", script.replace("\\\n", " ")):
        words = shlex.split(line.replace("\\", " ")) if line.strip() else []
        if len(words) < 3 or words[0] != "cp":
            continue
        dest = words[-1].rstrip("/")
        if dest != vendor_prefix and not dest.startswith(vendor_prefix + "/"):
            continue
        where = dest[len(vendor_prefix):].strip("/")
        found.update((src, where) for src in words[1:-1] if src.startswith("node_modules/"))
    return found


def makefile_recipe(target: str) -> str:
    lines = MAKEFILE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith(target + ":"):
            recipe = []
            for body in lines[i + 1:]:
                if not body.startswith("\t"):
                    break
                recipe.append(body[1:])
            return "\n".join(recipe)
    raise AssertionError(f"Makefile has no target {target}")


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(\S+)", MAKEFILE.read_text(), re.M)
    assert match, f"Makefile defines no {name}"
    return match.group(1)


# --------------------------------------------------------------------------- the app the containers run


@contextmanager
def celery_default_kept():
    """create_app makes its Celery app the current one; give the rest of the suite back its own."""
    from celery import _state

    saved_current, saved_default = getattr(_state._tls, "current_app", None), _state.default_app
    try:
        yield
    finally:
        _state._tls.current_app = saved_current
        _state.default_app = saved_default


@pytest.fixture(scope="module")
def app_factory_module():
    return importlib.import_module("core.app")


@pytest.fixture(scope="module")
def flask_app(tmp_path_factory, app_factory_module):
    tmp = tmp_path_factory.mktemp("deployment")
    with fresh_database(tmp, postgres=False) as url, celery_default_kept():
        app = app_factory_module.create_app(settings_for(url, tmp))
        app.config.update(TESTING=True)
        yield app
        app.extensions["db"].engine.dispose()


def flask_command_problems(app, argv: list[str], where: str) -> list[str]:
    """`flask --app core.app db upgrade`: the module is the app's, and `db upgrade` parses."""
    module = option_value(argv, "--app", "-A")
    if module is None:
        return [f"{where}: `{shlex.join(argv)}` names no --app"]
    if module.partition(":")[0] != "core.app" or not (ROOT / "core" / "app.py").exists():
        return [f"{where}: --app {module} is not the suite's app module core.app"]
    i = argv.index("--app") + 2 if "--app" in argv else argv.index("-A") + 2 if "-A" in argv else (
        next(n for n, t in enumerate(argv) if t.startswith("--app=")) + 1)
    args = argv[i:]
    command: click.Command = app.cli
    context = click.Context(app.cli, info_name="flask")
    path: list[str] = []
    while isinstance(command, click.Group):
        if not args:
            return [f"{where}: `flask {' '.join(path)}` needs a subcommand"]
        name, args = args[0], args[1:]
        sub = command.get_command(context, name)
        if sub is None:
            return [f"{where}: `flask {' '.join(path + [name])}` is not a command of the app's CLI"]
        path.append(name)
        command = sub
        context = click.Context(sub, parent=context, info_name=name)
    try:
        command.make_context(path[-1], list(args), parent=context.parent)
    except click.ClickException as exc:
        return [f"{where}: `flask {' '.join(path)}` does not accept {args}: {exc.format_message()}"]
    return []


def gunicorn_target_problems(compose: dict) -> list[str]:
    found = programs(compose, "gunicorn")
    if [name for name, _ in found] != ["web"]:
        return [f"gunicorn runs in {[n for n, _ in found]}, expected in web alone"]
    argv = found[0][1]
    targets = [t for t in argv[1:] if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*(\(.*\))?", t)]
    if len(targets) != 1:
        return [f"web: no single gunicorn app target in {argv}"]
    module_name, _, expression = targets[0].partition(":")
    attribute = expression.split("(")[0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return [f"web: gunicorn target module {module_name} does not import: {exc}"]
    factory = getattr(module, attribute, None)
    if not callable(factory):
        return [f"web: {module_name} has no callable {attribute}"]
    if expression.endswith("()"):
        try:
            inspect.signature(factory).bind()
        except TypeError:
            return [f"web: {targets[0]} calls {attribute} with no arguments, which it does not accept"]
    problems = []
    bind = option_value(argv, "--bind", "-b")
    if bind is None or not bind.startswith("0.0.0.0:"):
        problems.append(f"web: gunicorn must bind 0.0.0.0:<port> to be reachable, has {bind}")
    return problems


def celery_problems(compose: dict) -> list[str]:
    problems = []
    expected = {"worker": "worker", "beat": "beat"}
    found = {name: argv for name, argv in programs(compose, "celery")}
    for service, subcommand in expected.items():
        argv = found.get(service)
        if argv is None:
            problems.append(f"{service}: runs no `celery ... {subcommand}`")
            continue
        module = option_value(argv, "-A", "--app")
        rest = argv[argv.index(module) + 1:] if module in argv else argv[1:]
        actual = next((t for t in rest if not t.startswith("-")), None)
        if actual != subcommand:
            problems.append(f"{service}: runs `celery {actual}`, expected `celery {subcommand}`")
        if not module:
            problems.append(f"{service}: names no Celery app (-A)")
            continue
        path = ROOT / (module.split(":")[0].replace(".", "/") + ".py")
        if not path.exists():
            problems.append(f"{service}: -A {module}: {path.relative_to(ROOT)} does not exist")
            continue
        tree = ast.parse(path.read_text())
        names = {t.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
                 for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                 if isinstance(t, ast.Name)}
        if "celery" not in names:
            problems.append(f"{service}: {path.relative_to(ROOT)} defines no module-level `celery`")
    return problems


PROBE = """
import importlib, json, sys
from celery import Celery
module = importlib.import_module(sys.argv[1])
app = getattr(module, "celery", None)
ok = isinstance(app, Celery)
print(json.dumps({
    "celery": ok,
    "tasks": sorted(app.tasks) if ok else [],
    "beat": sorted({entry["task"] for entry in (app.conf.beat_schedule or {}).values()}) if ok else [],
}))
"""


@pytest.fixture(scope="module")
def worker_probe(tmp_path_factory) -> dict:
    """Load the worker's Celery app in a process of its own, as `celery -A core.worker` does."""
    tmp = tmp_path_factory.mktemp("worker")
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "SECRET_KEY"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp / 'worker.db'}", SECRET_KEY="probe", INSTANCE_PATH=str(tmp))
    done = subprocess.run([sys.executable, "-c", PROBE, "core.worker"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- checks of the compose file


def service_problems(compose: dict) -> list[str]:
    services = compose.get("services") or {}
    problems = [f"service {name} is missing" for name in SERVICES if name not in services]
    images = {"postgres": "postgres:15", "redis": "redis:7"}
    for name, image in images.items():
        if name in services and services[name].get("image") != image:
            problems.append(f"{name} must run {image}, runs {services[name].get('image')}")
    for name in APP_SERVICES:
        build = (services.get(name) or {}).get("build")
        context = build.get("context", ".") if isinstance(build, dict) else build
        if name in services and context not in (".", "./"):
            problems.append(f"{name} must be built from this repository's Dockerfile (build: .)")
    return problems


def healthcheck_problems(compose: dict) -> list[str]:
    services = compose.get("services") or {}
    problems = []
    wanted = {"postgres": ["pg_isready"], "redis": ["redis-cli", "ping"], "web": ["http://"]}
    for name, words in wanted.items():
        text = healthcheck_text(services.get(name) or {})
        missing = [w for w in words if w not in text]
        if missing:
            problems.append(f"{name}: the healthcheck must use {' '.join(words)}, has {text!r}")
    return problems


def web_healthcheck_url(compose: dict) -> str | None:
    match = re.search(r"https?://[^'\"\s)]+", healthcheck_text(compose["services"]["web"]))
    return match.group(0) if match else None


def depends_on_problems(compose: dict) -> list[str]:
    services = compose.get("services") or {}
    problems = []
    for name in APP_SERVICES:
        depends = (services.get(name) or {}).get("depends_on") or {}
        if isinstance(depends, list):
            problems.append(f"{name}: depends_on must name conditions (service_healthy), not a list")
            continue
        for needed in INFRA:
            if (depends.get(needed) or {}).get("condition") != "service_healthy":
                problems.append(f"{name}: must wait for {needed} with condition: service_healthy")
        for target, how in depends.items():
            condition = (how or {}).get("condition")
            if condition == "service_healthy" and not (services.get(target) or {}).get("healthcheck"):
                problems.append(f"{name}: waits for {target} to be healthy, but {target} has no healthcheck")
            if target not in services:
                problems.append(f"{name}: depends on {target}, which is not a service")
    return problems


def secret_problems(compose: dict) -> list[str]:
    problems = []
    for name, service in (compose.get("services") or {}).items():
        env = environment(service)
        if name in APP_SERVICES and not REQUIRED_REFERENCE.match(env.get("SECRET_KEY", "")):
            problems.append(f"{name}: SECRET_KEY must be a required reference like ${{SECRET_KEY:?...}}, "
                            f"is {env.get('SECRET_KEY')!r}")
        for variable, value in env.items():
            if SECRET_NAME.search(variable) and not REQUIRED_REFERENCE.match(value):
                problems.append(f"{name}: {variable} holds a literal (or defaulted) value; "
                                f"use ${{{variable}:?...}} from the environment or .env")
            parts = urlsplit(value) if "://" in value else None
            if parts and parts.password is not None and not REQUIRED_REFERENCE.match(
                    parts.netloc.split("@")[0].split(":", 1)[1]):
                problems.append(f"{name}: the password in {variable} is a literal; use ${{...:?...}}")
    return problems


def settings_variables() -> set[str]:
    """The environment variables core/config.py reads."""
    source = (ROOT / "core" / "config.py").read_text()
    return set(re.findall(r"env\.get\(\"([A-Z_]+)\"", source)) | set(re.findall(r"_int\(env, \"([A-Z_]+)\"", source))


def settings_problems(compose: dict) -> list[str]:
    services = compose.get("services") or {}
    known = settings_variables()
    problems = []
    postgres = environment(services.get("postgres") or {})
    for name in APP_SERVICES:
        env = environment(services.get(name) or {})
        unknown = set(env) - known - NON_SETTINGS_VARIABLES
        if unknown:
            problems.append(f"{name}: {sorted(unknown)} are not settings that core/config.py reads")
        database = urlsplit(REFERENCE.sub("x", env.get("DATABASE_URL", "")))
        if database.scheme != "postgresql+psycopg" or database.hostname not in services:
            problems.append(f"{name}: DATABASE_URL must be postgresql+psycopg://... at the postgres service")
        elif (database.username, database.path.strip("/")) != (postgres.get("POSTGRES_USER", "postgres"),
                                                               postgres.get("POSTGRES_DB", "postgres")):
            problems.append(f"{name}: DATABASE_URL's user/database differ from postgres' POSTGRES_USER/POSTGRES_DB")
        redis = urlsplit(env.get("REDIS_URL", ""))
        if redis.scheme != "redis" or redis.hostname not in services:
            problems.append(f"{name}: REDIS_URL must be redis://... at the redis service")
    return problems


def empty_start_problems(compose: dict) -> list[str]:
    problems = []
    for name, service in (compose.get("services") or {}).items():
        for argv in invocations(service.get("command")):
            joined = " ".join(argv)
            if re.search(r"\bdemo\s+load\b|\busers\s+create\b", joined):
                problems.append(f"{name}: `{joined}` - the stack must start empty (no demo data, no users)")
    return problems


# --------------------------------------------------------------------------- checks of the Dockerfile


def dockerfile_problems(text: str, ignore_text: str) -> list[str]:
    problems = []
    built = stages(dockerfile_instructions(text))
    if not built:
        return ["the Dockerfile has no FROM"]
    if built[-1]["image"] != "python:3.11-slim":
        problems.append(f"the final image must be python:3.11-slim, is {built[-1]['image']}")
    if not any(s["image"] == "node:20-slim" for s in built):
        problems.append("no node:20-slim stage builds the front-end assets")
    patterns = ignore_patterns(ignore_text)
    names: set[str] = set()
    for stage in built:
        for keyword, rest in stage["instructions"]:
            if keyword not in {"COPY", "ADD"}:
                continue
            flags, sources, _dest = copy_arguments(rest)
            if "from" in flags:
                if flags["from"] not in names:
                    problems.append(f"COPY --from={flags['from']}: no earlier stage has that name")
                continue
            for source in sources:
                matches = list(ROOT.glob(source)) if any(c in source for c in "*?[") else [ROOT / source]
                if not any(m.exists() for m in matches):
                    problems.append(f"COPY {source}: not in the repository")
                elif ignored(source, patterns):
                    problems.append(f"COPY {source}: .dockerignore keeps it out of the build context")
        if stage["name"]:
            names.add(stage["name"])
    users = [rest.split(":")[0] for keyword, rest in built[-1]["instructions"] if keyword == "USER"]
    if not users or users[-1] in {"root", "0"}:
        problems.append("the final image must run as a non-root USER")
    runs = " ".join(rest for s in built for keyword, rest in s["instructions"] if keyword == "RUN")
    for step in ("npm ci --ignore-scripts", "pybabel compile -d core/translations", "pip install ."):
        if step not in runs:
            problems.append(f"the Dockerfile does not run `{step}`")
    return problems


def package_problems(text: str) -> list[str]:
    """Every top-level package that pyproject.toml installs is copied before `pip install .`."""
    import tomllib

    includes = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = sorted({p.rstrip("*").rstrip(".") for p in includes})
    copied = set()
    for stage in stages(dockerfile_instructions(text)):
        for keyword, rest in stage["instructions"]:
            if keyword == "COPY":
                flags, sources, _ = copy_arguments(rest)
                if "from" not in flags:
                    copied.update(s.strip("/") for s in sources)
    return [f"package {p} (pyproject.toml) is not copied into the image" for p in packages
            if p not in copied and "." not in copied]


def asset_problems(text: str) -> list[str]:
    """The Dockerfile's node stage copies the same files to the same places as `make assets`."""
    vendor = makefile_variable("VENDOR")
    make = vendor_copies(makefile_recipe("$(VENDOR)/.stamp").replace("$(VENDOR)", vendor), vendor)
    built = stages(dockerfile_instructions(text))
    node = next((s for s in built if s["image"].startswith("node:")), None)
    if node is None or not make:
        return ["no node stage, or the Makefile's $(VENDOR)/.stamp copies nothing"]
    problems = []
    script = "\n".join(rest for keyword, rest in node["instructions"] if keyword == "RUN")
    into = [(copy_arguments(rest)[1], copy_arguments(rest)[2]) for s in built
            for keyword, rest in s["instructions"]
            if keyword == "COPY" and copy_arguments(rest)[0].get("from") == node["name"]]
    if [dest.strip("/") for _, dest in into] != [vendor]:
        return [f"the assets stage's output must be copied to {vendor}, is copied to {[d for _, d in into]}"]
    folder = Path(into[0][0][0]).name  # e.g. /src/vendor -> vendor (relative to the stage's WORKDIR)
    docker = vendor_copies(script, folder)
    if docker != make:
        problems.append(f"the Dockerfile copies {sorted(docker - make)} that make does not, and misses "
                        f"{sorted(make - docker)}")
    if (ROOT / "node_modules").is_dir():
        problems += [f"{src} does not exist in node_modules" for src, _ in make if not (ROOT / src).exists()]
    return problems


def readme_flask_commands() -> list[str]:
    """The `flask --app core.app ...` lines in the README's code blocks."""
    if not README.exists():
        return []
    blocks = re.findall(r"```[a-z]*\n(.*?)```", README.read_text(), re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line[line.index("flask "):] for line in lines if re.search(r"(^|\s|/)flask --app ", line)]


# =========================================================================== the tests


def test_the_stack_has_postgres_redis_web_worker_and_beat():
    assert service_problems(load_compose()) == []


def test_postgres_redis_and_web_report_their_health():
    assert healthcheck_problems(load_compose()) == []


def test_the_web_healthcheck_asks_a_page_that_answers_without_signing_in(flask_app):
    compose = load_compose()
    url = urlsplit(web_healthcheck_url(compose) or "")
    bind = option_value(programs(compose, "gunicorn")[0][1], "--bind", "-b") or ""
    assert url.port == int(bind.rpartition(":")[2]), f"healthcheck port {url.port} is not gunicorn's {bind}"
    assert flask_app.test_client().get(url.path or "/").status_code == 200, url.path


def test_app_services_wait_for_healthy_postgres_and_redis():
    assert depends_on_problems(load_compose()) == []


def test_gunicorn_serves_the_app_factory():
    assert gunicorn_target_problems(load_compose()) == []


def test_the_web_port_is_published():
    compose = load_compose()
    bind = option_value(programs(compose, "gunicorn")[0][1], "--bind", "-b") or ""
    targets = [str(p).rpartition(":")[2] for p in compose["services"]["web"].get("ports", [])]
    assert bind.rpartition(":")[2] in targets


def test_web_builds_the_schema_before_it_serves(flask_app):
    argvs = invocations(load_compose()["services"]["web"]["command"])
    names = [Path(a[0]).name for a in argvs]
    assert names[-1] == "gunicorn" and "flask" in names, argvs
    upgrade = [a for a in argvs if a[0] == "flask"]
    assert any(a[-2:] == ["db", "upgrade"] for a in upgrade), upgrade


def test_every_flask_command_in_the_compose_file_is_registered_in_the_app_cli(flask_app):
    found = programs(load_compose(), "flask")
    assert found, "no service runs a flask command (the web service must run `db upgrade`)"
    problems = [p for name, argv in found for p in flask_command_problems(flask_app, argv, name)]
    assert problems == []


def test_every_flask_command_in_the_readme_is_registered_in_the_app_cli(flask_app):
    commands = readme_flask_commands()
    assert commands, "README.md shows no `flask --app core.app ...` command"
    problems = [p for c in commands for p in flask_command_problems(flask_app, shlex.split(c), "README.md")]
    assert problems == []


def test_the_readme_lists_every_setting_core_config_reads():
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", README.read_text(), re.M))
    assert documented == settings_variables()


def test_the_worker_and_beat_run_the_celery_app_of_core_worker():
    assert celery_problems(load_compose()) == []


def test_the_celery_app_named_by_the_compose_file_loads(worker_probe):
    assert worker_probe["celery"], "core.worker.celery is not a Celery app"
    assert worker_probe["beat"], "beat has nothing to schedule"


def test_the_worker_knows_every_task_that_beat_sends(worker_probe):
    assert set(worker_probe["beat"]) <= set(worker_probe["tasks"]), worker_probe


def test_no_secret_is_written_into_the_compose_file():
    assert secret_problems(load_compose()) == []


def test_app_services_get_the_settings_core_config_reads():
    assert settings_problems(load_compose()) == []


def test_the_stack_starts_empty_without_demo_data_or_users():
    assert empty_start_problems(load_compose()) == []


def test_no_env_file_is_committed():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "--", ".env", "*.env", ".env.*"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    assert tracked == []
    assert ignored(".env", ignore_patterns(DOCKERIGNORE.read_text())), ".dockerignore must keep .env out"


def test_the_dockerfile_copies_what_exists_and_runs_as_a_non_root_user():
    assert dockerfile_problems(DOCKERFILE.read_text(), DOCKERIGNORE.read_text()) == []


def test_the_dockerfile_copies_every_package_that_pyproject_installs():
    assert package_problems(DOCKERFILE.read_text()) == []


def test_the_dockerfile_builds_the_same_front_end_assets_as_make():
    assert asset_problems(DOCKERFILE.read_text()) == []


def test_there_are_catalogs_for_the_dockerfile_to_compile():
    assert list((ROOT / "core" / "translations").glob("*/LC_MESSAGES/*.po")), \
        "`pybabel compile -d core/translations` fails without a catalog"


# --------------------------------------------------------------------------- each check notices a break


def _broken(edit) -> dict:
    compose = copy.deepcopy(load_compose())
    edit(compose["services"])
    return compose


@pytest.mark.parametrize(("check", "edit"), [
    (service_problems, lambda s: s.pop("beat")),
    (service_problems, lambda s: s["postgres"].update(image="postgres:latest")),
    (healthcheck_problems, lambda s: s["redis"].pop("healthcheck")),
    (healthcheck_problems, lambda s: s["web"]["healthcheck"].update(test=["CMD", "true"])),
    (depends_on_problems, lambda s: s["worker"]["depends_on"]["redis"].update(condition="service_started")),
    (depends_on_problems, lambda s: s["beat"]["depends_on"].pop("postgres")),
    (gunicorn_target_problems, lambda s: s["web"].update(command=["gunicorn", "-b", "0.0.0.0:8000", "core.app:make_app()"])),
    (gunicorn_target_problems, lambda s: s["web"].update(command=["gunicorn", "-b", "127.0.0.1:8000", "core.app:create_app()"])),
    (celery_problems, lambda s: s["worker"].update(command=["celery", "-A", "core.workers", "worker"])),
    (celery_problems, lambda s: s["beat"].update(command=["celery", "-A", "core.app", "beat"])),
    (celery_problems, lambda s: s["beat"].update(command=["celery", "-A", "core.worker", "worker"])),
    (secret_problems, lambda s: s["web"]["environment"].update(SECRET_KEY="dev-secret")),
    (secret_problems, lambda s: s["worker"]["environment"].update(SECRET_KEY="${SECRET_KEY:-dev-secret}")),
    (secret_problems, lambda s: s["postgres"]["environment"].update(POSTGRES_PASSWORD="postgres")),
    (secret_problems, lambda s: s["web"]["environment"].update(DATABASE_URL="postgresql+psycopg://suite:pw@postgres/suite")),
    (settings_problems, lambda s: s["web"]["environment"].update(DATABSE_URL="x")),
    (settings_problems, lambda s: s["beat"]["environment"].update(REDIS_URL="redis://localhost:6379/0")),
    (empty_start_problems, lambda s: s["web"].update(command=["sh", "-c", "flask --app core.app demo load && gunicorn x:y"])),
])
def test_each_compose_check_notices_a_break(check, edit):
    assert check(_broken(edit)) != []


def test_the_flask_command_check_notices_a_command_that_does_not_exist(flask_app):
    for argv in (["flask", "--app", "core.app", "db", "upgrad"], ["flask", "--app", "core.app", "db"],
                 ["flask", "--app", "core.app", "users", "create", "x", "--role", "king", "--password", "p"],
                 ["flask", "--app", "core.wsgi", "db", "upgrade"]):
        assert flask_command_problems(flask_app, argv, "test") != [], argv


@pytest.mark.parametrize(("old", "new"), [
    ("COPY package.json package-lock.json ./", "COPY package.json package-lock.json yarn.lock ./"),
    ("COPY --from=assets", "COPY --from=node"),
    ("USER 10001:10001", "USER root"),
    ("pybabel compile -d core/translations", "true"),
    ("FROM python:3.11-slim\n", "FROM python:3.12\n"),
])
def test_the_dockerfile_check_notices_a_break(old, new):
    text = DOCKERFILE.read_text()
    assert old in text
    assert dockerfile_problems(text.replace(old, new), DOCKERIGNORE.read_text()) != []


def test_the_dockerignore_check_notices_an_excluded_source():
    assert dockerfile_problems(DOCKERFILE.read_text(), DOCKERIGNORE.read_text() + "\ncore\n") != []


def test_the_package_and_asset_checks_notice_a_break():
    text = DOCKERFILE.read_text()
    assert package_problems(text.replace("COPY finance finance\n", "")) != []
    assert asset_problems(text.replace("node_modules/htmx.org/dist/htmx.min.js", "node_modules/htmx.org/dist/htmx.js")) != []
    assert asset_problems(text.replace("vendor/swagger-ui/\n", "vendor/\n")) != []
