"""Route: choose the unit, the priority and the SLA hours for each classified post.

Explicit rules from the unit catalogue (``data/units.yaml``: keywords and
hashtags in Arabic and English) decide first; when none matches, the unit model
decides if its confidence is at least the catalogue's ``unit_threshold``; else
the post goes to the triage unit. ``Routing.rule`` says which decided. Urgent
terms raise the priority of complaints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers import UNIT_THRESHOLD, normalize_text
from monitor import models
from monitor.errors import ConfigError
from monitor.pipeline.posts import update_posts

PRIORITY_BY_TAG = {"complaint": "normal", "inquiry": "normal", "praise": "low", "other": "low"}
NO_RULE = "no rule matched"


@dataclass(frozen=True)
class UnitRule:
    slug: str
    name_ar: str
    name_en: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    units: tuple[UnitRule, ...]
    triage: str
    urgent_terms: tuple[str, ...]
    # The learned fallback: anything with predict(texts) -> [(label, confidence)], e.g. a Tagger.
    unit_model: Any = field(default=None, compare=False)
    unit_threshold: float = UNIT_THRESHOLD

    def unit(self, slug: str) -> UnitRule:
        return next(unit for unit in self.units if unit.slug == slug)

    @cached_property
    def terms_longest_first(self) -> tuple[tuple[str, str], ...]:
        pairs = [(term, unit.slug) for unit in self.units for term in unit.terms]
        return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


@dataclass(frozen=True)
class Routing:
    unit: str
    priority: str
    rule: str


def load_catalogue(path: Path) -> Catalogue:
    """Read and check the unit catalogue; any mistake is a ConfigError naming it."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        units = tuple(_unit_rule(entry) for entry in raw["units"])
        catalogue = Catalogue(
            units=units,
            triage=raw["triage_unit"],
            urgent_terms=tuple(_normalised_terms(raw.get("urgent_terms", {}))),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"unit catalogue {path}: {exc!r}") from exc
    if catalogue.triage not in {unit.slug for unit in units}:
        raise ConfigError(f"unit catalogue {path}: triage unit {catalogue.triage!r} is not listed")
    return catalogue


def _unit_rule(entry: dict) -> UnitRule:
    terms = _normalised_terms(entry.get("keywords", {}))
    terms += [normalize_text(tag.replace("_", " ")) for tag in entry.get("hashtags", [])]
    return UnitRule(
        slug=entry["slug"], name_ar=entry["name_ar"], name_en=entry["name_en"],
        terms=tuple(term for term in terms if term),
    )


def _normalised_terms(by_language: dict[str, list[str]]) -> list[str]:
    return [normalize_text(term) for terms in by_language.values() for term in terms]


def route_text(text: str, category: str, catalogue: Catalogue) -> Routing:
    """Route one post: rules, then the unit model, then triage (see `route_texts`)."""
    return route_texts([text], [category], catalogue)[0]


def route_texts(
    texts: Sequence[str], categories: Sequence[str], catalogue: Catalogue, *,
    normalized: Sequence[str | None] | None = None,
) -> list[Routing]:
    """Route a batch: rules decide; posts no rule matched go to the unit model in one call.

    ``normalized`` may hold each text already passed through `normalize_text` (a post's
    ``search_text``), which saves normalising it again; None entries are normalised here.
    """
    known = normalized if normalized is not None else [None] * len(texts)
    routings = [_route_normalized(normal if normal is not None else normalize_text(text), category, catalogue)
                for text, category, normal in zip(texts, categories, known, strict=True)]
    unmatched = [i for i, routing in enumerate(routings) if routing.rule == NO_RULE]
    if catalogue.unit_model is None or not unmatched:
        return routings
    predictions = catalogue.unit_model.predict([texts[i] for i in unmatched])
    for i, prediction in zip(unmatched, predictions, strict=True):
        routings[i] = _route_by_model(routings[i], prediction.label, prediction.confidence, catalogue)
    return routings


def _route_by_model(routing: Routing, unit: str, confidence: float, catalogue: Catalogue) -> Routing:
    """The model's unit when it is a known unit at or above the threshold; else triage stays."""
    if confidence >= catalogue.unit_threshold and unit in {rule.slug for rule in catalogue.units}:
        return replace(routing, unit=unit, rule=f"model:{unit}:{confidence:.2f}")
    return replace(routing, rule=f"{NO_RULE}; model unsure ({unit}:{confidence:.2f})")


def route_by_rules(text: str, category: str, catalogue: Catalogue) -> Routing:
    """The unit with the most matched words wins; ties go to the unit listed first.

    Longer terms match first and use up their words, so "street lights" counts
    for lighting and not also "street" for roads.
    """
    return _route_normalized(normalize_text(text), category, catalogue)


def _route_normalized(normalized: str, category: str, catalogue: Catalogue) -> Routing:
    """`route_by_rules` on a text that `normalize_text` already normalised."""
    text = f" {normalized} "
    remaining, scores = text, {}
    for term, slug in catalogue.terms_longest_first:
        if term not in remaining:  # the common case, and a single scan instead of one per prefix
            continue
        remaining, found = _consume(remaining, term)
        if found:
            scores[slug] = scores.get(slug, 0) + found * len(term.split())
    urgent = category == "complaint" and any(_occurs(text, term) for term in catalogue.urgent_terms)
    priority = "urgent" if urgent else PRIORITY_BY_TAG.get(category, "normal")
    if not scores:
        return Routing(catalogue.triage, priority, NO_RULE)
    order = [unit.slug for unit in catalogue.units]
    best = max(scores, key=lambda slug: (scores[slug], -order.index(slug)))
    return Routing(best, priority, f"keywords:{best}:{scores[best]}")


WORD_STARTS = (" ", " ال", " وال", " بال", " لل")


def _occurs(text: str, term: str) -> bool:
    """Whether ``term`` occurs at a word start (as `_consume` would find it)."""
    return term in text and any(prefix + term in text for prefix in WORD_STARTS)


def _consume(text: str, term: str) -> tuple[str, int]:
    """Blank out each occurrence of ``term`` at a word start (after a space or the article ال)."""
    found = 0
    for prefix in WORD_STARTS:
        needle = prefix + term
        while needle in text:
            start = text.index(needle)
            text = text[:start] + " " * len(needle) + text[start + len(needle):]
            found += 1
    return text, found


def route_posts(session: Session, catalogue: Catalogue, *, limit: int = 2000) -> bool:
    """Route up to ``limit`` classified posts; return whether more remain.

    Batches as large as the classify stage's, for the unit model's sake (a fixed cost per call).
    """
    unit_ids = dict(session.execute(select(models.Unit.slug, models.Unit.id)).all())
    posts = session.execute(
        select(models.Post.id, models.Post.text, models.Post.category, models.Post.search_text)
        .where(models.Post.stage == "classified").order_by(models.Post.id).limit(limit + 1)
    ).all()
    batch = posts[:limit]
    routings = route_texts([post.text for post in batch], [post.category or "other" for post in batch], catalogue,
                           normalized=[post.search_text for post in batch])
    update_posts(session, [
        {"post_id": post.id, "unit_id": unit_ids.get(routing.unit) or unit_ids.get(catalogue.triage),
         "priority": routing.priority, "route_rule": routing.rule, "stage": "routed"}
        for post, routing in zip(batch, routings, strict=True)
    ])
    session.commit()
    return len(posts) > limit
