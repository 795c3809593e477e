"""The case page and its actions, through the in-process client, on each engine."""

import re

from sqlalchemy import select

from monitor import models
from tests.web.conftest import add_posts, post_form, sign_in


def fresh_case(services, text="@WorksMinistry huge pothole on our street, please fix it"):
    [case] = add_posts(services, text)
    return case


def case_row(services, case_id):
    with services.sessions() as session:
        return session.get(models.Case, case_id)


def actions(services, case_id):
    with services.sessions() as session:
        return session.scalars(select(models.Event.action).where(models.Event.case_id == case_id)
                               .order_by(models.Event.id)).all()


def test_the_case_page_shows_the_thread_tag_unit_and_history(client, services):
    [case] = add_posts(services, "@WorksMinistry pothole on our street")
    add_posts(services, "@WorksMinistry any update? still not fixed", conversation=None)
    sign_in(client)
    html = client.get(f"/cases/{case.id}").text
    assert case.reference in html and "pothole on our street" in html
    assert "شؤون الطرق" in html and "فُتحت الحالة" in html  # history: case opened


def test_an_unknown_case_is_a_404_page(client):
    sign_in(client)
    response = client.get("/cases/999999")
    assert response.status_code == 404 and "غير موجود" in response.text


def test_claiming_assigns_the_case_and_a_second_agent_is_refused(client, services):
    case = fresh_case(services)
    sign_in(client, "officer")
    assert post_form(client, f"/cases/{case.id}/claim").status_code == 303
    claimed = case_row(services, case.id)
    assert claimed.status == "in_progress" and claimed.assignee_id is not None
    sign_in(client, "supervisor")
    response = post_form(client, f"/cases/{case.id}/claim")
    assert response.status_code == 409 and "officer" in response.text
    assert actions(services, case.id) == ["case_opened", "claimed"]


def test_resolve_and_reopen_write_events_and_a_stale_form_changes_nothing(client, services):
    case = fresh_case(services)
    sign_in(client)
    version = case_row(services, case.id).version
    assert post_form(client, f"/cases/{case.id}/move/resolve", version=version).status_code == 303
    assert case_row(services, case.id).status == "resolved"
    stale = post_form(client, f"/cases/{case.id}/move/escalate", version=version)
    assert stale.status_code == 409 and "reload" in stale.text
    current = case_row(services, case.id).version
    assert post_form(client, f"/cases/{case.id}/move/reopen", version=current).status_code == 303
    assert case_row(services, case.id).status == "in_progress"
    assert actions(services, case.id) == ["case_opened", "resolved", "reopened"]


def test_a_correction_changes_the_case_and_becomes_training_data(client, services):
    case = fresh_case(services, "@WorksMinistry the street is dark at night")
    sign_in(client)
    response = post_form(client, f"/cases/{case.id}/correct", label="complaint", unit="lighting",
                         version=case_row(services, case.id).version)
    assert response.status_code == 303
    with services.sessions() as session:
        corrected = session.get(models.Case, case.id)
        example = session.scalars(select(models.LabeledExample).where(
            models.LabeledExample.post_id == corrected.posts[0].id)).one()
        officer = session.scalars(select(models.User).where(models.User.username == "officer")).one()
        assert corrected.unit.slug == "lighting" and corrected.category == "complaint"
    assert (example.unit_slug, example.created_by_id) == ("lighting", officer.id)
    assert "unit_corrected" in actions(services, case.id)


def test_a_complaint_reply_waits_for_a_supervisor_then_is_approved(client, services):
    case = fresh_case(services)
    sign_in(client, "officer")
    html = client.get(f"/cases/{case.id}").text
    assert case.reference in re.search(r'data-text="([^"]+)"', html).group(1)  # a filled template
    post_form(client, f"/cases/{case.id}/reply", text="Thank you, reported to the roads unit.", seen_reply=0)
    with services.sessions() as session:
        reply = session.scalars(select(models.Reply).where(models.Reply.case_id == case.id)).one()
    assert reply.state == "draft"
    assert post_form(client, f"/cases/{case.id}/replies/{reply.id}/approve").status_code == 403
    sign_in(client, "supervisor")
    assert post_form(client, f"/cases/{case.id}/replies/{reply.id}/approve").status_code == 303
    with services.sessions() as session:
        assert session.get(models.Reply, reply.id).state == "approved"


def test_a_praise_reply_from_an_agent_goes_out_without_approval(client, services):
    case = fresh_case(services, "@WorksMinistry thank you for the new park, great job")
    assert case.category == "praise"
    sign_in(client, "officer")
    post_form(client, f"/cases/{case.id}/reply", text="شكراً لكم", seen_reply=0)
    with services.sessions() as session:
        assert session.scalars(select(models.Reply.state).where(models.Reply.case_id == case.id)).one() == "approved"


def test_replying_after_someone_else_replied_warns_before_sending(client, services):
    case = fresh_case(services)
    sign_in(client, "supervisor")
    post_form(client, f"/cases/{case.id}/reply", text="first answer", seen_reply=0)
    sign_in(client, "officer")
    response = post_form(client, f"/cases/{case.id}/reply", text="second answer", seen_reply=0)
    assert response.status_code == 409 and 'name="confirm"' in response.text
    assert post_form(client, f"/cases/{case.id}/reply", text="second answer", seen_reply=0,
                     confirm="1").status_code == 303


def test_a_rejection_needs_a_reason(client, services):
    case = fresh_case(services)
    sign_in(client, "officer")
    post_form(client, f"/cases/{case.id}/reply", text="draft", seen_reply=0)
    with services.sessions() as session:
        reply = session.scalars(select(models.Reply).where(models.Reply.case_id == case.id)).one()
    sign_in(client, "supervisor")
    assert post_form(client, f"/cases/{case.id}/replies/{reply.id}/reject", reason=" ").status_code == 409
    assert post_form(client, f"/cases/{case.id}/replies/{reply.id}/reject", reason="wrong unit").status_code == 303
    with services.sessions() as session:
        assert session.get(models.Reply, reply.id).state == "rejected"


def test_a_forged_csrf_token_is_forbidden_and_changes_nothing(client, services):
    case = fresh_case(services)
    sign_in(client)
    response = client.post(f"/cases/{case.id}/move/resolve", data={"csrf_token": "forged", "version": 1})
    assert response.status_code == 403
    assert case_row(services, case.id).status == "new"


def test_a_supervisor_may_edit_a_draft_while_approving_and_the_edit_is_logged(client, services):
    case = fresh_case(services)
    sign_in(client, "officer")
    post_form(client, f"/cases/{case.id}/reply", text="we will fix it", seen_reply=0)
    with services.sessions() as session:
        reply = session.scalars(select(models.Reply).where(models.Reply.case_id == case.id)).one()
    sign_in(client, "supervisor")
    post_form(client, f"/cases/{case.id}/replies/{reply.id}/approve", text="We will fix it this week.")
    with services.sessions() as session:
        approved = session.get(models.Reply, reply.id)
        event = session.scalars(select(models.Event).where(models.Event.reply_id == reply.id,
                                                           models.Event.action == "reply_approved")).one()
    assert (approved.state, approved.text) == ("approved", "We will fix it this week.")
    assert event.before == {"text": "we will fix it"}


def test_the_sla_filter_finds_overdue_cases(client, services):
    [case] = add_posts(services, "@WorksMinistry pothole that nobody fixed for days")  # posted days ago
    sign_in(client)
    assert case.reference in client.get("/?sla=overdue&status=all").text
    assert case.reference not in client.get("/?sla=ok&status=all").text


def test_a_case_can_be_marked_as_waiting_on_the_citizen(client, services):
    [case] = add_posts(services, "@WorksMinistry pothole near block 338, please fix")
    sign_in(client)
    response = post_form(client, f"/cases/{case.id}/wait", waiting="citizen",
                         version=case_row(services, case.id).version)
    assert response.status_code == 303
    assert case_row(services, case.id).waiting_on == "citizen"
    assert "عدّاد مستوى الخدمة متوقف" in client.get(f"/cases/{case.id}").text
    assert actions(services, case.id)[-1] == "waiting_changed"


def test_a_reply_x_refused_is_posted_by_hand_and_recorded_with_its_link(client, services):
    case = fresh_case(services)
    sign_in(client, "supervisor")
    post_form(client, f"/cases/{case.id}/reply", text="We are on it.", seen_reply=0, confirm="1")
    with services.sessions() as session:  # as the sender leaves it when X refuses the account's reply
        reply = session.scalars(select(models.Reply).where(models.Reply.case_id == case.id)).one()
        reply.state, reply.error = "manual", "reply on X by hand: the post did not mention the account"
        session.commit()
    html = client.get(f"/cases/{case.id}").text
    by_hand_form = f'action="/cases/{case.id}/by-hand/{reply.id}"'
    assert "انشره على X يدويًا" in html and by_hand_form in html  # Arabic is the default interface
    sign_in(client, "viewer")
    assert post_form(client, f"/cases/{case.id}/by-hand/{reply.id}", link="").status_code == 403
    sign_in(client, "officer")
    refused = post_form(client, f"/cases/{case.id}/by-hand/{reply.id}", link="https://example.com/x")
    assert refused.status_code == 409 and "link to the post" in refused.text
    link = "https://x.com/WorksMinistry/status/1862000000000000999"
    assert post_form(client, f"/cases/{case.id}/by-hand/{reply.id}", link=link).status_code == 303
    with services.sessions() as session:
        reply = session.get(models.Reply, reply.id)
        assert (reply.state, reply.sink, reply.platform_id) == ("sent", "by_hand", "1862000000000000999")
        assert session.get(models.Case, case.id).status == "replied"
    html = client.get(f"/cases/{case.id}").text
    assert "انشره على X يدويًا" not in html and by_hand_form not in html
