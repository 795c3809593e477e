"""Working the queue: search, filters, pagination, bulk actions, saved views, presence, unit scoping."""

from urllib.parse import quote

from sqlalchemy import select

from monitor import models
from tests.web.conftest import add_posts, csrf, post_form, sign_in


def listed(html):
    return html.count('<tr class="case ')


def test_search_matches_arabic_spelling_variants(client, services):
    add_posts(services, "@WorksMinistry متى يكتمل مشروع الإنارة في المدينة؟")
    sign_in(client)
    # typed without hamza and with ta-marbuta as ha: still found
    html = client.get("/?q=" + quote("الانارة في المدينه") + "&status=all").text
    assert listed(html) == 1 and "مشروع الإنارة" in html


def test_a_unit_member_sees_only_their_units_cases(client, services):
    [roads_case] = add_posts(services, "@WorksMinistry huge pothole on the highway please fix")
    [light_case] = add_posts(services, "@WorksMinistry street lights are broken and flickering")
    sign_in(client, "roads")
    html = client.get("/?status=all").text
    assert roads_case.reference in html and light_case.reference not in html
    assert client.get(f"/cases/{light_case.id}").status_code == 403
    assert post_form(client, f"/cases/{roads_case.id}/claim").status_code == 303


def test_a_viewer_reads_but_cannot_act(client, services):
    [case] = add_posts(services, "@WorksMinistry pothole again on our road")
    sign_in(client, "viewer")
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert post_form(client, f"/cases/{case.id}/claim").status_code == 403
    assert 'id="bulk"' not in client.get("/").text


def test_keyset_pagination_walks_every_case_once(client, services):
    add_posts(services, *[f"@WorksMinistry pothole number {n} on our street" for n in range(60)])
    sign_in(client)
    seen, url = [], "/?status=all&q=pothole+number"
    while url:
        html = client.get(url).text
        seen += [chunk.split('"')[0] for chunk in html.split('data-case="')[1:]]
        marker = 'id="next-page" href="'
        url = "/" + html.split(marker)[1].split('"')[0].replace("&amp;", "&") if marker in html else None
    assert len(seen) == len(set(seen)) == 60


def test_bulk_actions_apply_to_each_selected_case_the_user_may_work(client, services):
    cases = add_posts(services, "@WorksMinistry pothole on road one", "@WorksMinistry pothole on road two")
    sign_in(client)
    token = csrf(client.get("/").text)
    response = client.post("/bulk", data={"csrf_token": token, "action": "tag:inquiry",
                                           "case": [str(case.id) for case in cases]}, follow_redirects=True)
    assert "2 updated, 0 refused" in response.text
    with services.sessions() as session:
        assert {session.get(models.Case, case.id).category for case in cases} == {"inquiry"}
        examples = session.scalars(select(models.LabeledExample).where(models.LabeledExample.label == "inquiry")).all()
        assert len(examples) >= 2
    client.post("/bulk", data={"csrf_token": token, "action": "dismiss:", "case": [str(cases[0].id)]})
    with services.sessions() as session:
        assert session.get(models.Case, cases[0].id).status == "dismissed"


def test_a_bulk_correction_moves_the_due_time_at_once(client, services):
    """Praise gets 840 business minutes, a complaint 240: the due time follows the new tag, no sweep needed."""
    [case] = add_posts(services, "@WorksMinistry thank you for fixing the road, great work")
    sign_in(client)
    token = csrf(client.get("/").text)
    for tag in ("praise", "complaint"):
        client.post("/bulk", data={"csrf_token": token, "action": f"tag:{tag}", "case": [str(case.id)]})
        with services.sessions() as session:
            row = session.get(models.Case, case.id)
            expected = services.sla_rules.due_at_opening(row.first_post_at, tag=tag, priority=row.priority,
                                                         unit=row.unit.slug if row.unit else None)
            assert row.category == tag and row.sla_due_at == expected is not None


def test_a_saved_view_brings_its_filters_back(client, services):
    sign_in(client)
    response = post_form(client, "/views", name="urgent roads", query="unit=roads&priority=urgent")
    assert response.headers["location"] == "/?unit=roads&priority=urgent"
    html = client.get("/").text
    assert 'href="/?unit=roads&amp;priority=urgent">urgent roads</a>' in html


def test_presence_shows_who_else_has_the_case_open(client, services):
    [case] = add_posts(services, "@WorksMinistry sewage smell near the school")
    sign_in(client, "supervisor")
    client.get(f"/cases/{case.id}")
    sign_in(client, "officer")
    state = client.get(f"/cases/{case.id}/presence").json()
    assert state["viewers"] == ["supervisor"] and state["assignee"] is None
    assert "supervisor" in client.get(f"/cases/{case.id}").text


def test_the_queue_page_runs_the_same_number_of_queries_however_many_cases_it_shows(client, services):
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    sign_in(client)
    add_posts(services, "@WorksMinistry one pothole on a road")
    event.listen(services.engine, "before_cursor_execute", count)
    try:
        client.get("/?status=all&q=pothole")
        few = len(statements)
        add_posts(services, *[f"@WorksMinistry another pothole on road {n}" for n in range(30)])
        statements.clear()
        client.get("/?status=all&q=pothole")
        many = len(statements)
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    assert few == many <= 10


def test_a_paused_or_failing_channel_is_shown_to_the_team(client, services):
    from datetime import UTC, datetime, timedelta

    with services.sessions() as session:
        session.add(models.Channel(name="x-mentions", kind="x", config={}, enabled=True,
                                   paused_until=datetime.now(UTC) + timedelta(days=3),
                                   last_error="X usage cap reached: polling paused until 2026-12-01"))
        session.commit()
    sign_in(client)
    html = client.get("/").text
    assert "x-mentions" in html and "usage cap reached" in html and "متوقفة مؤقتاً حتى" in html
    sign_in(client, "viewer")
    assert "channel-alert" not in client.get("/").text


def test_supervisors_see_how_many_open_cases_are_past_their_sla(client, services):
    add_posts(services, "@WorksMinistry pothole from last week")  # posted days ago: overdue
    sign_in(client, "supervisor")
    assert "تجاوزت موعد استحقاقها" in client.get("/").text


def test_the_sla_counts_split_overdue_from_due_soon_and_ignore_later_and_closed_cases(services):
    from datetime import UTC, datetime, timedelta

    from monitor.web.queue import sla_counts

    now = datetime.now(UTC)
    with services.sessions() as session:
        supervisor = session.scalars(select(models.User).where(models.User.username == "supervisor")).one()
        before = sla_counts(session, supervisor, now=now)
    cases = add_posts(services, *[f"@WorksMinistry broken pavement number {n}" for n in range(5)])
    dues = [now - timedelta(hours=2), now + timedelta(hours=1), now + timedelta(hours=3, minutes=50),
            now + timedelta(hours=5), now - timedelta(hours=1)]
    with services.sessions() as session:
        for case, due in zip(cases, dues, strict=True):
            row = session.get(models.Case, case.id)
            row.sla_due_at = due
            row.status = "resolved" if case is cases[-1] else row.status  # closed: not counted though overdue
        session.commit()
        late, soon = sla_counts(session, supervisor, now=now)
    assert (late - before[0], soon - before[1]) == (1, 2)
