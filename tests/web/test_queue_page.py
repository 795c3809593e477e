"""The web app through an in-process ASGI client, on a fresh database of each engine."""


import pytest
from sqlalchemy import func, select

from monitor import models
from tests.web.conftest import add_posts, csrf, sign_in

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> \u202eevil'


@pytest.fixture(scope="module", autouse=True)
def seeded(services):
    add_posts(services, "@WorksMinistry huge pothole on our street, please fix it",
              "@WorksMinistry المجاري طافحة من أسبوع", HOSTILE)


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


def test_five_wrong_passwords_throttle_further_attempts_even_the_right_one(client, services):
    from monitor.accounts import add_user

    with services.sessions() as session:
        add_user(session, "target", "agent", "target-password")
        session.commit()
    for _ in range(5):
        assert sign_in(client, "target", "wrong").status_code == 401
    response = sign_in(client, "target")
    assert response.status_code == 429 and "15" in response.text
    assert sign_in(client, "officer").status_code == 303  # other users are not affected


def test_a_users_language_choice_is_kept_for_the_next_sign_in(client, services):
    from monitor.accounts import add_user

    with services.sessions() as session:
        add_user(session, "linguist", "agent", "linguist-password")
        session.commit()
    sign_in(client, "linguist")
    client.get("/lang/en")
    client.cookies.clear()
    sign_in(client, "linguist")
    assert '<html lang="en" dir="ltr">' in client.get("/").text
