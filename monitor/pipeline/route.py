"""Route: choose the unit, the priority and the SLA hours for each classified post.

Explicit rules from the unit catalogue (``data/units.yaml``: keywords and
hashtags in Arabic and English) decide first; when none matches, the unit model
decides if its confidence is at least the catalogue's ``unit_threshold``; else
the post goes to the triage unit. ``Routing.rule`` says which decided. Urgent
terms raise the priority of complaints.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from heapq import heappop, heappush
from itertools import chain
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers import UNIT_THRESHOLD, normalize_text
from monitor import models
from monitor.errors import ConfigError
from monitor.bulk import update_rows

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
    # The learned fallback: anything with predict(texts, normalized=...) -> [(label, confidence)], e.g. a Tagger.
    unit_model: Any = field(default=None, compare=False)
    unit_threshold: float = UNIT_THRESHOLD

    def unit(self, slug: str) -> UnitRule:
        return next(unit for unit in self.units if unit.slug == slug)

    @cached_property
    def terms_longest_first(self) -> tuple[tuple[str, str], ...]:
        pairs = [(term, unit.slug) for unit in self.units for term in unit.terms]
        return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))

    @cached_property
    def term_index(self) -> _TermIndex:
        """The terms of `terms_longest_first`, then the urgent terms."""
        terms = [term for term, _ in self.terms_longest_first]
        return _TermIndex(terms + list(self.urgent_terms))


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
    normal_texts = [normal if normal is not None else normalize_text(text)
                    for text, normal in zip(texts, known, strict=True)]
    routings = [_route_normalized(normal, category, catalogue)
                for normal, category in zip(normal_texts, categories, strict=True)]
    unmatched = [i for i, routing in enumerate(routings) if routing.rule == NO_RULE]
    if catalogue.unit_model is None or not unmatched:
        return routings
    predictions = catalogue.unit_model.predict([texts[i] for i in unmatched],
                                               normalized=[normal_texts[i] for i in unmatched])
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
    index = catalogue.term_index
    places = index.lookup(text)  # unit terms (longest first), then urgent terms
    split = bisect_left(places, len(catalogue.terms_longest_first))
    scores = _scores(text, places[:split], catalogue)
    urgent = category == "complaint" and split < len(places) and any(
        _occurs(text, index.terms[i]) for i in places[split:])
    priority = "urgent" if urgent else PRIORITY_BY_TAG.get(category, "normal")
    if not scores:
        return Routing(catalogue.triage, priority, NO_RULE)
    if len(scores) == 1:  # the common case, spared the ranking
        best = next(iter(scores))
    else:
        order = [unit.slug for unit in catalogue.units]
        best = max(scores, key=lambda slug: (scores[slug], -order.index(slug)))
    return Routing(best, priority, f"keywords:{best}:{scores[best]}")


def _scores(text: str, places: list[int], catalogue: Catalogue) -> dict[str, int]:
    """Matched words per unit: each term in turn, longest first, blanks out its matches.

    Only the terms at ``places`` (ascending) in `terms_longest_first` are tried, in that
    order: any other is at no word start, so `_consume` would find nothing. A blank
    makes a word start where it ends, maybe inside a word ("حفر" blanked in "حفرتين"
    leaves "تين"). A later match there is made of original characters (a normalised
    term has letters on both sides of its single spaces, a blank is two spaces or
    more), so it starts the rest of that word in ``text``: the terms that can start it
    join the queue, a heap, if they come later in the order.
    """
    index, terms = catalogue.term_index, catalogue.terms_longest_first
    queue = places  # sorted, so a heap; everything popped so far is at most i
    remaining, scores = text, {}
    while queue:
        i = heappop(queue)
        term, slug = terms[i]
        if term not in remaining:  # a single scan instead of one per prefix
            continue
        remaining, found, ends = _consume(remaining, term)
        if not found:
            continue
        scores[slug] = scores.get(slug, 0) + found * len(term.split())
        for end in ends:
            for later in index.at_word(text[end:].partition(" ")[0]):
                if i < later < len(terms) and later not in queue:
                    heappush(queue, later)
    return scores


WORD_STARTS = (" ", " ال", " وال", " بال", " لل")


def _occurs(text: str, term: str) -> bool:
    """Whether ``term`` occurs at a word start (as `_consume` would find it)."""
    return term in text and any(prefix + term in text for prefix in WORD_STARTS)


def _consume(text: str, term: str) -> tuple[str, int, list[int]]:
    """Blank out each occurrence of ``term`` at a word start (see `WORD_STARTS`).

    Returns the text, how many there were and where blanks end inside a word.
    """
    found, ends = 0, []
    for prefix in WORD_STARTS:
        needle = prefix + term
        start = text.find(needle)  # always the leftmost occurrence
        while start != -1:
            end = start + len(needle)
            text = text[:start] + " " * len(needle) + text[end:]
            found += 1
            if text[end:end + 1] not in ("", " "):  # a word starts there now
                ends.append(end)
            start = text.find(needle)
        if found and term not in text:  # each needle holds the term: none is left
            break
    return text, found, ends


class _TermIndex:
    """Which terms can occur at a word start of a text, found without a scan per term.

    A term at a word start begins the word there after an article (a `WORD_STARTS`
    prefix without its space, "" first): all of the term, or its first word, which then
    ends the word. Looking up each word of a text (`at_word`, quick as terms are filed
    under their first few characters) finds every term that can occur and few others.
    """

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms = tuple(terms)
        # What the word (plus a space) must begin with: the term up to its first space.
        self.heads = ["".join(term.partition(" ")[:2]) for term in self.terms]
        # Keys of 3 characters, fewer if a term's first word is shorter. Terms that do
        # not look normalised (empty, or leading, trailing or double spaces: only in a
        # hand-made catalogue) are outside `_scores`' reasoning: all are always tried.
        normal = all(t and t.strip(" ") == t and "  " not in t for t in self.terms)
        firsts = [len(term.partition(" ")[0]) for term in self.terms]
        self.width = min([3, *firsts]) if normal else 0
        self.by_key: dict[str, list[int]] = {}
        for i, term in enumerate(self.terms):
            self.by_key.setdefault(term[:self.width], []).append(i)
        self.articles = [prefix[1:] for prefix in WORD_STARTS]
        # Posts share most of their words: each is looked up once (a bounded cache).
        self.at_word = lru_cache(maxsize=2**15)(self._at_word)

    def _at_word(self, word: str) -> tuple[int, ...]:
        """The places (ascending) of the terms that can start ``word``."""
        places = set()
        for article in self.articles:
            if word.startswith(article):
                rest = word[len(article):]
                places.update(i for i in self.by_key.get(rest[:self.width], ())
                              if (rest + " ").startswith(self.heads[i]))
        return tuple(sorted(places))

    def lookup(self, text: str) -> list[int]:
        """The places (ascending) of the terms that can start a word of ``text``."""
        if not self.width:
            return list(range(len(self.terms)))
        found = filter(None, map(self.at_word, text.split(" ")))  # most find none
        return sorted(set(chain.from_iterable(found)))


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
    update_rows(session, models.Post.__table__, [
        {"id": post.id, "unit_id": unit_ids.get(routing.unit) or unit_ids.get(catalogue.triage),
         "priority": routing.priority, "route_rule": routing.rule, "stage": "routed"}
        for post, routing in zip(batch, routings, strict=True)
    ])
    session.commit()
    return len(posts) > limit
