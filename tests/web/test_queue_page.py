"""The web app through an in-process ASGI client, on a fresh database of each engine."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from monitor import models
from monitor.accounts import add_user
from monitor.bootstrap import sync_units
from monitor.channels.replay import ReplayChannel
from monitor.migrations import upgrade_database
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.services import Services
from monitor.settings import Settings
from monitor.web.app import create_app
from tests.conftest import fresh_database_url
from tests.factories import replay_channel_row, write_replay, x_line

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> \u202eevil'


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def services(request, tmp_path_factory, tiny_tagger):
    tmp = tmp_path_factory.mktemp("web")
    for url in fresh_database_url(request.param, tmp):
        settings = Settings(home=tmp, database_url=url, secret_key="test-key-" + "x" * 32)
        services = Services(settings)
        upgrade_database(services.engine)
        with services.sessions() as session:
            sync_units(session, services.catalogue)
            add_user(session, "officer", "agent", "officer-password")
            path = write_replay(tmp / "posts.jsonl", [
                x_line(1, "@WorksMinistry huge pothole on our street, please fix it"),
                x_line(2, "@WorksMinistry المجاري طافحة من أسبوع"),
                x_line(3, HOSTILE),
            ])
            from datetime import UTC, datetime
            now = datetime.now(UTC)
            poll_channel(session, replay_channel_row(session, path), ReplayChannel(path), now=now)
            process_inbound(session, tiny_tagger, services.catalogue, review_threshold=0.5, now=now)
        yield services
        services.engine.dispose()


@pytest.fixture
def client(services):
    with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
        yield client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, username="officer", password="officer-password"):
    token = csrf(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=False)


def test_the_queue_needs_a_signed_in_user(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_the_login_page_is_arabic_and_right_to_left_by_default(client):
    html = client.get("/login").text
    assert '<html lang="ar" dir="rtl">' in html and "تسجيل الدخول" in html


def test_a_wrong_password_is_refused(client):
    response = sign_in(client, password="nope")
    assert response.status_code == 401 and "اسم المستخدم أو كلمة المرور غير صحيحة" in response.text


def test_a_login_without_the_csrf_token_is_forbidden(client):
    client.get("/login")
    response = client.post("/login", data={"username": "officer", "password": "officer-password"})
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_queue_lists_cases_with_tag_unit_and_escaped_text(client, services):
    assert sign_in(client).status_code == 303
    html = client.get("/").text
    with services.sessions() as session:
        assert html.count('class="case ') == session.scalar(select(func.count()).select_from(models.Case)) == 3
    assert "huge pothole on our street" in html and "المجاري طافحة من أسبوع" in html
    assert "شؤون الطرق" in html and 'dir="auto"' in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_the_interface_switches_to_english(client):
    sign_in(client)
    html = client.get("/lang/en").text
    assert '<html lang="en" dir="ltr">' in html and "Roads" in html


def test_signing_out_ends_the_session(client):
    sign_in(client)
    token = csrf(client.get("/").text)
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/", follow_redirects=False).status_code == 303


def test_health_check_answers_without_login(client):
    assert client.get("/healthz").text == "ok"
