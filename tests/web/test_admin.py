import re

from tests.web.conftest import post_form, sign_in


def test_an_admin_adds_a_user_whose_password_is_shown_once(client):
    sign_in(client, "admin")
    page = post_form(client, "/admin/users", username="newcomer", role="unit", unit="roads").text
    password = re.search(r'<code dir="ltr">([^<]+)</code>', page).group(1)
    assert password not in client.get("/admin/users").text
    client.cookies.clear()
    assert sign_in(client, "newcomer", password).status_code == 303


def test_a_deactivated_user_can_no_longer_sign_in(client, services):
    from sqlalchemy import select

    from monitor import models
    from monitor.accounts import add_user

    with services.sessions() as session:
        person = add_user(session, "leaver", "agent", "leaver-password")
        session.commit()
        person_id = person.id
    sign_in(client, "admin")
    post_form(client, f"/admin/users/{person_id}", role="agent", unit="")
    client.cookies.clear()
    assert sign_in(client, "leaver").status_code == 401
    with services.sessions() as session:
        assert session.scalar(select(models.User.active).where(models.User.id == person_id)) is False


def test_an_admin_cannot_remove_their_own_admin_access(client, services):
    from sqlalchemy import select

    from monitor import models

    with services.sessions() as session:
        admin_id = session.scalar(select(models.User.id).where(models.User.username == "admin"))
    sign_in(client, "admin")
    response = post_form(client, f"/admin/users/{admin_id}", role="viewer", active="1")
    assert response.status_code == 422


def test_a_unit_user_needs_a_unit(client):
    sign_in(client, "admin")
    assert post_form(client, "/admin/users", username="nounit", role="unit").status_code == 422
