"""The review queue in a real browser: the team's daily flow, unit scoping, RTL and hostile posts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from monitor import models
from monitor.pipeline.reply import send_replies
from monitor.sinks.console import ConsoleSink
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.web.conftest import add_posts

HOSTILE = ("<script>window.__owned = 1</script><img src=x onerror=\"window.__owned = 2\"> "
           "\u202eتجاوز الاتجاه\u202c " + "x" * 10_000)


def test_an_officer_corrects_drafts_a_supervisor_approves_and_the_reply_is_sent(page, live_server, services):
    [case] = add_posts(services, "@WorksMinistry huge pothole on our street, my car is damaged, please fix it")
    sign_in(page, live_server, "officer")
    page.select_option("#filter-tag", "complaint")
    with page.expect_navigation():
        page.click("#apply-filters")
    page.click(f"tr[data-case='{case.id}'] a.open-case")
    page.select_option("#correct-label", "inquiry")
    page.select_option("#correct-unit", "sewerage")
    with page.expect_navigation():
        page.click("#correct")
    assert page.text_content("#case-unit").strip() == "شؤون الصرف الصحي"
    assert page.text_content("#case-tag").strip() == "استفسار"
    page.select_option("#correct-label", "complaint")
    with page.expect_navigation():
        page.click("#correct")
    with page.expect_navigation():
        page.click("#claim")
    assert page.text_content("#case-assignee").strip() == "officer"
    page.click("button.template >> nth=0")
    assert case.reference in page.input_value("#reply-text")
    assert int(page.text_content("#reply-count")) > 0
    with page.expect_navigation():
        page.click("#send-reply")
    assert page.locator(".reply-draft").count() == 1
    with page.expect_navigation():
        page.click("form[action='/logout'] button")

    sign_in(page, live_server, "supervisor")
    page.goto(f"{live_server}/cases/{case.id}")
    with page.expect_navigation():
        page.click("button.approve")
    with services.sessions() as session:
        send_replies(session, ConsoleSink(services.settings.home / "sent.jsonl"), now=datetime.now(UTC))
    page.reload()
    assert page.locator(".reply-sent").count() == 1
    with page.expect_navigation():
        page.click("#resolve")
    assert page.locator(".status-resolved").count() == 1
    with services.sessions() as session:
        actions = session.scalars(select(models.Event.action).where(models.Event.case_id == case.id)
                                  .order_by(models.Event.id)).all()
    assert actions[-3:] == ["reply_approved", "reply_sent", "resolved"] and "claimed" in actions


def test_a_unit_member_cannot_open_another_units_case(page, live_server, services):
    [lighting] = add_posts(services, "@WorksMinistry street lights broken and flickering all night")
    sign_in(page, live_server, "roads")
    assert page.locator(f"tr[data-case='{lighting.id}']").count() == 0
    response = page.goto(f"{live_server}/cases/{lighting.id}")
    assert response.status == 403


def test_the_arabic_queue_reads_right_to_left(page, live_server, services):
    add_posts(services, "@WorksMinistry المجاري طافحة في الحي من أسبوع", "@WorksMinistry شكراً على سرعة الإنجاز")
    sign_in(page, live_server, "officer")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue-ar.png"), full_page=True)
    page.click("a.open-case >> nth=0")
    assert page.evaluate("getComputedStyle(document.querySelector('.facts')).direction") == "rtl"
    page.screenshot(path=str(ARTIFACTS / "case-ar.png"), full_page=True)


def test_a_hostile_post_renders_as_inert_text_without_breaking_the_layout(page, live_server, services):
    [case] = add_posts(services, HOSTILE)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server, "officer")
    for url in ("/?status=all", f"/cases/{case.id}"):
        page.goto(live_server + url)
        assert page.evaluate("window.__owned") is None and dialogs == []
        assert "<script>window.__owned = 1</script>" in page.text_content("body")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280 + 1
    page.screenshot(path=str(ARTIFACTS / "case-hostile.png"))


def test_question_mark_lists_the_keyboard_shortcuts(page, live_server, services):
    add_posts(services, "@WorksMinistry pothole near the school gate")
    sign_in(page, live_server, "officer")
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"{live_server}/cases/*")
