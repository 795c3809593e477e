"""Reply templates from data/reply_templates.yaml: suggested by tag, unit and language, then filled in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from monitor.errors import ConfigError

PLACEHOLDERS = ("case_ref", "unit_name", "handle", "tracking_number")


@dataclass(frozen=True)
class ReplyTemplate:
    id: str
    tag: str
    lang: str
    text: str
    unit: str | None = None

    def fill(self, *, case_ref: str, unit_name: str, handle: str, tracking_number: str = "") -> str:
        return self.text.format(case_ref=case_ref, unit_name=unit_name, handle=handle,
                                tracking_number=tracking_number)


def load_templates(path: Path) -> tuple[ReplyTemplate, ...]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        templates = tuple(ReplyTemplate(**entry) for entry in raw["templates"])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"reply templates {path}: {exc!r}") from exc
    for template in templates:
        try:
            template.fill(case_ref="", unit_name="", handle="", tracking_number="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"reply template {template.id}: unknown placeholder {exc}") from exc
    return templates


def suggest(templates: tuple[ReplyTemplate, ...], *, tag: str, unit: str | None, lang: str) -> list[ReplyTemplate]:
    """Templates for the tag in the post's language, unit-specific ones first."""
    language = "en" if lang == "en" else "ar"
    matching = [t for t in templates if t.tag == tag and t.lang == language and t.unit in (None, unit)]
    return sorted(matching, key=lambda t: t.unit is None)
