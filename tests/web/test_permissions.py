"""The permission matrix: every route of the app, for every role, on a roads-unit case.

A new route fails `test_every_route_is_in_the_matrix` until it is listed here
with the permission it needs.
"""

import pytest
from fastapi.testclient import TestClient

from monitor.permissions import ADMIN, APPROVE, REPLY, VIEW, WORK, can
from monitor.web.app import create_app
from tests.web.conftest import PERSONAS, add_posts, csrf, sign_in
from tests.web.test_api import bearer

PUBLIC, SIGNED_IN = "public", "signed-in"

# (method, path) -> (permission, form or JSON body); {case} and {reply} are filled in.
MATRIX = {
    ("GET", "/login"): (PUBLIC, None),
    ("POST", "/login"): (PUBLIC, {"username": "x", "password": "y"}),
    ("POST", "/logout"): (SIGNED_IN, {}),
    ("GET", "/lang/{language}"): (PUBLIC, None),
    ("GET", "/healthz"): (PUBLIC, None),
    ("GET", "/readyz"): (PUBLIC, None),
    ("GET", "/metrics"): (PUBLIC, None),
    ("GET", "/"): (VIEW, None),
    ("POST", "/bulk"): (SIGNED_IN, {"action": "assign:none", "case": "{case}"}),
    ("POST", "/views"): (SIGNED_IN, {"name": "mine", "query": "tag=complaint"}),
    ("POST", "/views/{view_id}/delete"): (SIGNED_IN, {}),
    ("GET", "/cases/{case_id}"): (VIEW, None),
    ("GET", "/cases/{case_id}/presence"): (VIEW, None),
    ("POST", "/cases/{case_id}/claim"): (WORK, {}),
    ("POST", "/cases/{case_id}/assign"): (WORK, {"assignee": "", "version": ""}),
    ("POST", "/cases/{case_id}/move/{action}"): (WORK, {"version": ""}),
    ("POST", "/cases/{case_id}/correct"): (WORK, {"label": "complaint", "version": ""}),
    ("POST", "/cases/{case_id}/wait"): (WORK, {"waiting": "citizen", "version": ""}),
    ("POST", "/cases/{case_id}/forward"): (WORK, {"version": ""}),
    ("POST", "/cases/{case_id}/reply"): (REPLY, {"text": "ok", "seen_reply": "0", "confirm": "1"}),
    ("POST", "/cases/{case_id}/replies/{reply_id}/{decision}"): (APPROVE, {}),
    ("POST", "/cases/{case_id}/by-hand/{reply_id}"): (REPLY, {"link": ""}),
    ("GET", "/api/cases"): (VIEW, None),
    ("GET", "/api/cases/{case_id}"): (VIEW, None),
    ("POST", "/api/cases/{case_id}/correct"): (WORK, {"label": "complaint"}),
    ("POST", "/api/cases/{case_id}/assign"): (WORK, {"username": None}),
    ("POST", "/api/cases/{case_id}/resolve"): (WORK, None),
    ("POST", "/api/cases/{case_id}/replies"): (REPLY, {"text": "ok"}),
    ("POST", "/api/replies/{reply_id}/approve"): (APPROVE, None),
    ("POST", "/api/cases/{case_id}/forward"): (WORK, None),
    ("GET", "/openapi.json"): (PUBLIC, None),
    ("GET", "/admin/users"): (ADMIN, None),
    ("POST", "/admin/users"): (ADMIN, {"username": "new-{persona}", "role": "viewer"}),
    ("POST", "/admin/users/{user_id}"): (ADMIN, {"role": "viewer", "active": "1"}),
    ("GET", "/dashboard"): (VIEW, None),
    ("GET", "/dashboard.csv"): (VIEW, None),
}


def app_routes(app):
    """Every route the app serves, from its OpenAPI description (public API, nested routers included)."""
    yield "GET", app.openapi_url
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            yield method.upper(), path


def test_every_route_is_in_the_matrix(services):
    assert sorted(set(app_routes(create_app(services))) - set(MATRIX)) == []


class FakeUser:
    def __init__(self, role, unit_id):
        self.role, self.unit_id = role, unit_id


def allowed(role, unit, permission, case):
    if permission in (PUBLIC, SIGNED_IN):
        return True
    return can(FakeUser(role, unit), permission, case)


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_each_role_gets_exactly_its_permissions(services, persona):
    [case] = add_posts(services, "@WorksMinistry huge pothole on the highway, please fix")
    with services.sessions() as session:
        from monitor import models
        from monitor.pipeline.reply import draft_reply

        case = session.get(models.Case, case.id)
        draft = draft_reply(session, case, "a draft", author=None, now=case.opened_at)
        session.commit()
        me = session.query(models.User).filter_by(username=persona).one()
        role, unit = me.role, me.unit_id
        view = models.SavedView(user_id=me.id, name="v", query="")
        session.add(view)
        session.commit()
        viewer = session.query(models.User).filter_by(username="viewer").one()
        fills = {"{user_id}": str(viewer.id), "{case_id}": str(case.id), "{reply_id}": str(draft.id), "{decision}": "approve",
                 "{action}": "escalate", "{language}": "en", "{view_id}": str(view.id)}
        version = case.version
    headers = bearer(services, persona)
    with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
        sign_in(client, persona)
        for (method, path), (permission, body) in MATRIX.items():
            url = path
            for key, value in fills.items():
                url = url.replace(key, value)
            status = _call(client, method, url, body, headers, case.id, version)
            on_case = "{case_id}" in path or "{reply_id}" in path
            expected = allowed(role, unit, permission, case if on_case else None)
            assert (status != 403) == expected, f"{persona} {method} {url}: {status}"
            if method == "POST" and path == "/logout":
                sign_in(client, persona)


def _call(client, method, url, body, headers, case_id, version):
    if url.startswith("/api/"):
        return client.request(method, url, json=body, headers=headers).status_code
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    token = csrf(client.get("/login").text)
    data = {key: (str(case_id) if value == "{case}" else value) for key, value in (body or {}).items()}
    data = {key: value.replace("{persona}", url.strip("/").replace("/", "-")) if isinstance(value, str) else value
            for key, value in data.items()}
    if "version" in data:
        data["version"] = str(version)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False).status_code
