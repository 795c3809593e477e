"""Arabic is the default interface: every string the templates translate has an Arabic entry."""

from pathlib import Path

from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from monitor.web.i18n import LOCALE_DIR, translations

TEMPLATES = Path(__file__).resolve().parents[2] / "monitor" / "web" / "templates"
# values translated in templates through _(value): tags, statuses, priorities, actions, reply states
DYNAMIC = ["complaint", "praise", "inquiry", "other", "new", "triaged", "in_progress", "replied", "resolved",
           "escalated", "forwarded", "dismissed", "open", "all", "urgent", "high", "normal", "low",
           "escalate", "dismiss", "resolve", "reopen", "draft", "approved", "sending", "sent", "failed",
           "rejected", "admin", "supervisor", "agent", "unit", "viewer", "case_opened", "post_added", "claimed", "assigned", "escalated", "dismissed",
           "resolved", "reopened", "tag_corrected", "unit_corrected", "reply_drafted", "reply_approved",
           "reply_rejected", "reply_sent", "reply_failed", "reply_not_posted", "manual", "unknown", "checking",
           "post_edited", "post_forgotten", "waiting_changed", "external_status", "forward_requested",
           "forward_tracking_number", "forward_not_received", "forward_failed", "sla_breached", "sla_warning"]


def template_strings() -> set[str]:
    found = set()
    for path in TEMPLATES.glob("*.html"):
        with path.open("rb") as handle:
            found |= {message for _, _, message, _ in babel_extract(handle, ["_"], [], {}) if isinstance(message, str)}
    return found


def test_every_interface_string_has_an_arabic_translation():
    with (LOCALE_DIR / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {message.id for message in catalogue if message.id and message.string}
    assert sorted((template_strings() | set(DYNAMIC)) - translated) == []


def test_english_is_the_source_language():
    assert translations("en").gettext("Queue") == "Queue"
    assert translations("ar").gettext("Queue") == "قائمة الحالات"
