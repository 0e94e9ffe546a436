"""The web's hardening: redirects only to paths on this site, sessions that signing out ends on the
server, Secure cookies when asked, security headers on every page (scripts only from the site's own
files), and a honeypot that answers like a success."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.security import safe_next
from crm.leads.models import Lead
from tests.conftest import PASSWORD, make_user
from tests.web.test_forms import csrf_token, sign_in

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "crm", "inventory", "production", "purchasing", "finance", "api")
HOSTILE_NEXT = ["//evil.example", "/%09/evil.example", "/%0a/x", "/%5C/evil.example", "%5C%5Cevil.example",
                "https://evil.example/", "javascript:alert(1)", "/%C2%85/evil.example",
                "%09//evil.example"]


def source_files(pattern: str):
    for package in PACKAGES:
        yield from (ROOT / package).glob(pattern)


# --------------------------------------------------------------------------- safe redirects


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "/\n/x", "/\\evil.example/..",
                                    "\\\\evil.example", "https://evil.example", "javascript:alert(1)", "evil.example",
                                    "/\r\n/x", "\t//evil.example", "/\x85/evil.example", "", None])
def test_safe_next_refuses_anything_but_a_path_on_this_site(target):
    cleaned = safe_next(target, "/home")
    assert cleaned == "/home" or (cleaned.startswith("/") and not cleaned.startswith("//")
                                  and not re.search(r"[\x00-\x1f\x7f-\x9f\\]", cleaned))


def test_safe_next_keeps_a_local_path_with_its_query():
    assert safe_next("/customers?q=pump&page=2#top", "/") == "/customers?q=pump&page=2#top"
    assert safe_next("/\\customers", "/") == "/customers"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_signing_in_never_redirects_off_the_site(client, db, target):
    user = make_user(db, "sales_rep")
    answer = client.post(f"/login?next={target}", data={"csrf_token": csrf_token(client), "username": user.username,
                                                          "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_a_nul_byte_in_next_is_refused_by_the_input_bounds_and_redirects_nowhere(client, db):
    user = make_user(db, "sales_rep")
    answer = client.post("/login?next=/%00/evil.example", data={
        "csrf_token": csrf_token(client), "username": user.username, "password": PASSWORD})
    assert 400 <= answer.status_code < 500
    assert "Location" not in answer.headers


def test_a_header_break_in_next_is_dropped_not_a_server_error(client, db):
    user = make_user(db, "sales_rep")
    answer = client.post("/login?next=/%0d%0aSet-Cookie:%20x=1", data={
        "csrf_token": csrf_token(client), "username": user.username, "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/Set-Cookie:")  # one harmless local path, no second header
    assert not any(h.startswith("x=") for h in answer.headers.getlist("Set-Cookie"))


def test_signing_in_follows_a_local_next(client, db):
    user = make_user(db, "sales_rep")
    answer = client.post("/login?next=/customers%3Fq%3Dpump", data={
        "csrf_token": csrf_token(client), "username": user.username, "password": PASSWORD})
    assert answer.headers["Location"] == "/customers?q=pump"


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "/\n/x", "/\\/evil.example"])
def test_the_language_switch_never_redirects_off_the_site(client, db, target):
    answer = client.post("/language", data={"csrf_token": csrf_token(client), "locale": "en", "next": target})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "/\n/x"])
def test_creating_a_task_never_redirects_off_the_site(client, db, target):
    sign_in(client, make_user(db, "sales_rep"))
    answer = client.post("/tasks", data={"csrf_token": csrf_token(client, "/tasks"), "title": "Call back",
                                         "due_at": "2026-12-01T10:00", "next": target})
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/tasks/")


def test_no_view_reads_a_next_target_without_the_helper():
    """One rule for `next`: every view that redirects to it goes through core.security.safe_next."""
    found = []
    for path in source_files("**/*.py"):
        text = path.read_text()
        if re.search(r"\.get\(\s*[\"']next[\"']", text):
            for line in text.splitlines():
                if (re.search(r"\.get\(\s*[\"']next[\"']", line) and "safe_next(" not in line
                        and not line.strip().startswith("if ")):  # whether there is one is no redirect
                    found.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert found == []


# --------------------------------------------------------------------------- sessions


def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(app, client, db):
    sign_in(client, make_user(db, "sales_rep"))
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/").status_code == 200  # a copy works while the session lives

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    assert thief.get("/").status_code == 302  # the copy is refused: sent to the login page
    assert client.get("/").status_code == 302


def test_signing_in_again_after_signing_out_works(client, db):
    user = make_user(db, "sales_rep")
    sign_in(client, user)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, user)
    assert client.get("/").status_code == 200


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(app, client, db):
    from core import services
    from tests.conftest import uow_for

    user = make_user(db, "sales_rep")
    sign_in(client, user)
    services.set_password(uow_for(db), user.id, "green-valve-harbour")
    assert client.get("/").status_code == 302


def test_session_cookies_are_secure_when_the_setting_asks(app, engine, tmp_path):
    secure = create_app(replace(app.config["SETTINGS"], secure_cookies=True), engine=engine)
    plain = create_app(replace(app.config["SETTINGS"], secure_cookies=False), engine=engine)

    def session_cookie(flask_app) -> str:
        answer = flask_app.test_client().get("/login")  # the CSRF token is kept in the session
        return next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("session="))

    assert "; Secure" in session_cookie(secure) and "HttpOnly" in session_cookie(secure)
    assert "; Secure" not in session_cookie(plain)


def test_the_settings_read_secure_cookies_and_proxy_hops_from_the_environment(tmp_path):
    from core.config import Settings

    base = {"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(base).secure_cookies is False and Settings.from_env(base).proxy_hops == 0
    configured = Settings.from_env({**base, "SECURE_COOKIES": "1", "PROXY_HOPS": "1"})
    assert configured.secure_cookies is True and configured.proxy_hops == 1
    assert Settings.from_env({**base, "SECURE_COOKIES": "0"}).secure_cookies is False


@pytest.mark.parametrize(("hops", "recorded"), [(0, "127.0.0.1"), (1, "203.0.113.50")])
def test_the_client_address_comes_from_a_trusted_proxy_only(app, engine, db, hops, recorded):
    from core.models import LoginAttempt

    behind_proxy = create_app(replace(app.config["SETTINGS"], proxy_hops=hops), engine=engine)
    behind_proxy.extensions["db"].sessionmaker = app.extensions["db"].sessionmaker  # the test's transaction
    behind_proxy.config.update(WTF_CSRF_ENABLED=False)
    behind_proxy.test_client().post("/login", data={"username": "someone", "password": "wrong-password"},
                                    headers={"X-Forwarded-For": "203.0.113.50"})
    assert db.scalar(select(LoginAttempt.address).where(LoginAttempt.username == "someone")) == recorded


def test_the_compose_deployment_turns_secure_cookies_on():
    text = (ROOT / "docker-compose.yml").read_text()
    assert re.search(r"SECURE_COOKIES: \$\{SECURE_COOKIES:-1\}", text)


# --------------------------------------------------------------------------- security headers


def _policy(answer) -> dict[str, str]:
    policy = answer.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login", "/", "/no-such-page", "/contact-us", "/static/app.js"])
def test_every_answer_carries_the_security_headers(client, db, path):
    sign_in(client, make_user(db, "admin"))
    answer = client.get(path)
    policy = _policy(answer)
    assert policy["script-src"] == "script-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_a_pdf_gets_a_policy_that_leaves_the_browsers_viewer_alone(app):
    from flask import Response

    from core.security import add_security_headers

    with app.test_request_context("/some.pdf"):
        answer = add_security_headers(Response(b"%PDF-1.4", mimetype="application/pdf"))
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_the_api_docs_page_allows_exactly_its_own_inline_script(client, db):
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200
    scripts = re.findall(r"<script>(.*?)</script>", answer.get_data(as_text=True), re.S)
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert _policy(answer)["script-src"] == f"script-src 'self' 'sha256-{digest}'"
    assert "unsafe-inline" not in _policy(answer)["script-src"]


def test_no_template_holds_an_inline_script_or_an_event_handler_attribute():
    found = []
    for path in source_files("**/templates/**/*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+\s*=|hx-on|javascript:", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


# --------------------------------------------------------------------------- the honeypot


def without_tokens(html: str) -> str:
    """A page without its CSRF tokens (signed with the time, so they differ from one answer to the next)."""
    return re.sub(r'(name="csrf-token" content|name="csrf_token" value)="[^"]*"', r'\1=""', html)


def test_a_filled_honeypot_gets_the_answer_of_a_success_and_nothing_is_stored(client, db):
    token = csrf_token(client, "/contact-us")
    real = client.post("/contact-us", data={"csrf_token": token, "company": "Real Works", "email": "r@real.example",
                                            "website": ""})
    before = db.scalar(select(func.count()).select_from(Lead))

    bot = client.post("/contact-us", data={"csrf_token": token, "company": "Bot Works", "email": "b@bot.example",
                                           "website": "http://spam.example"})

    assert bot.status_code == real.status_code == 200
    assert without_tokens(bot.get_data(as_text=True)) == without_tokens(real.get_data(as_text=True))
    assert "Thank you" in bot.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Lead)) == before
    assert db.scalar(select(Lead).where(Lead.company == "Bot Works")) is None


def test_a_filled_honeypot_gets_the_success_page_even_with_input_a_person_would_have_to_correct(client, db):
    before = db.scalar(select(func.count()).select_from(Lead))

    bot = client.post("/contact-us", data={"csrf_token": csrf_token(client, "/contact-us"), "company": "Bot Only",
                                           "website": "http://spam.example"})

    assert bot.status_code == 200 and "Thank you" in bot.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Lead)) == before
