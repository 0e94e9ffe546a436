"""The architecture rules that a reviewer would otherwise have to remember."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIRING = ROOT / "tests" / "event_wiring.json"
REGISTRY = ROOT / "tests" / "registry_wiring.json"


def test_modules_import_only_modules_to_their_left():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_the_event_wiring_is_the_reviewed_one(app):
    """Who reacts to which event is part of the design: a change here must be deliberate.
    After a reviewed change, refresh the snapshot with `python -m tests.test_architecture`."""
    assert app.extensions["events"].wiring() == json.loads(WIRING.read_text())


def test_what_each_module_contributes_to_the_others_is_the_reviewed_one(app):
    """The permission rows with their data scopes, menu entries, detail page panels, home alerts, order
    flags, work order links, demand sources and timeline sources each module adds in its `init_app`: one
    file shows what a module puts on the others' pages and rules. Refresh it like the event wiring."""
    assert app.extensions["registry"].snapshot() == json.loads(REGISTRY.read_text())


def test_each_app_gets_a_registry_of_its_own(app):
    """Modules fill the registry in `init_app`, never at import: a second app built in the same process
    gets the same contributions, in a registry of its own."""
    from core.app import create_app
    from core.config import Settings

    twin = create_app(Settings.from_env({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"}))
    assert twin.extensions["registry"] is not app.extensions["registry"]
    assert twin.extensions["registry"].snapshot() == app.extensions["registry"].snapshot()


def test_no_float_reaches_money_columns():
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "bench" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "Decimal(" in line and "float(" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


if __name__ == "__main__":  # refresh the wiring snapshots after a reviewed change
    from core.app import create_app
    from core.config import Settings

    built = create_app(Settings.from_env({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"}))
    for path, snapshot in ((WIRING, built.extensions["events"].wiring()),
                           (REGISTRY, built.extensions["registry"].snapshot())):
        path.write_text(json.dumps(snapshot, indent=2, sort_keys=True) + "\n")
        print(f"wrote {path}")
