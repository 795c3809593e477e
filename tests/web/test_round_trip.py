"""The whole bridge against both stand-ins, on each engine: a citizen's post on (fake) X →
case → forwarded to the (stand-in) national complaints system → tracking number → status
change → reply with the tracking number drafted → approved by a supervisor → posted on X once.
"""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor import models
from monitor.channels.x import XChannel
from monitor.pipeline import process_inbound
from monitor.pipeline.poll import poll_channel
from monitor.settings import Settings
from monitor.web.app import create_app
from monitor.worker import forward_job, forward_sync_job, replies_job
from tests.channels.conftest import x_config, x_credentials
from tests.conftest import fresh_database_url
from tests.stand_ins.fake_x import ACCOUNT
from tests.stand_ins.open311 import API_KEY
from tests.web.conftest import post_form, prepared_services, sign_in


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def services(request, tmp_path_factory, tiny_tagger, open311_server, fake_x_server):
    tmp = tmp_path_factory.mktemp("round-trip")
    for url in fresh_database_url(request.param, tmp):
        settings = Settings(home=tmp, database_url=url, secret_key="t" * 40, complaints_url=open311_server[1],
                            complaints_api_key=API_KEY, complaints_allow_private=True,
                            complaints_timeout_seconds=2, **x_credentials(fake_x_server[1]))
        services = prepared_services(settings, tiny_tagger)
        yield services
        services.close()


def test_a_post_on_x_is_forwarded_tracked_and_answered_on_x_once(services, open311, fake_x):
    citizen_post = fake_x.add_post("@WorksMinistry huge pothole on the highway near exit 4, please fix",
                                   author="bu_khalid")
    now = datetime.now(UTC)
    with services.sessions() as session:
        row = models.Channel(name="x-mentions", kind="x", config=x_config())
        session.add(row)
        session.commit()
        channel = XChannel.from_config(row.config, settings=services.settings, sleep=lambda _s: None)
        poll_channel(session, row, channel, now=now)
        channel.api.close()
        process_inbound(session, services.tagger, services.routing, review_threshold=0.5, now=now)
        case = session.scalars(select(models.Case).where(models.Case.channel_id == row.id)).one()
    with TestClient(create_app(services), base_url="http://127.0.0.1") as client:
        sign_in(client, "officer")
        assert post_form(client, f"/cases/{case.id}/forward", version=case.version).status_code == 303
        forward_job(services)
        forward_sync_job(services)
        with services.sessions() as session:
            forward = session.scalars(select(models.Forward).where(models.Forward.case_id == case.id)).one()
        assert forward.state == "sent" and forward.external_id
        open311.set_status(forward.external_id, "closed_fixed", notes="pothole filled")
        forward_sync_job(services)
        replies_job(services)
        assert not [r for r in fake_x.requests if r["method"] == "POST"]  # nothing without a person's approval
        with services.sessions() as session:
            drafts = session.scalars(select(models.Reply).where(models.Reply.case_id == case.id)
                                     .order_by(models.Reply.id)).all()
            assert session.get_one(models.Case, case.id).status == "resolved"
        final = drafts[-1]
        assert final.state == "draft" and forward.external_id in final.text
        sign_in(client, "supervisor")
        post_form(client, f"/cases/{case.id}/replies/{final.id}/approve")
    replies_job(services)
    replies_job(services)
    posted = [r for r in fake_x.requests if r["method"] == "POST" and r["path"] == "/2/tweets"]
    assert len(posted) == 1
    assert posted[0]["json"]["reply"]["in_reply_to_tweet_id"] == citizen_post
    assert forward.external_id in posted[0]["json"]["text"]
    with services.sessions() as session:
        sent = session.get_one(models.Reply, final.id)
        assert sent.state == "sent" and sent.platform_id in fake_x.posts
        assert fake_x.posts[sent.platform_id]["author_id"] == ACCOUNT["id"]
