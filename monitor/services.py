"""The collaborators every process builds from its settings: database, catalogue, model, sink."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from classifiers import Tagger, load_model, registry
from monitor.db import make_engine, make_session_factory
from monitor.pipeline.route import Catalogue, load_catalogue
from monitor.reply_templates import ReplyTemplate, load_templates
from monitor.settings import Settings
from monitor.sla import SlaRules, load_rules
from monitor.sinks import Sink
from monitor.sinks.complaints import ComplaintsSink, load_service_codes
from monitor.sinks.console import ConsoleSink


def settled(model: Tagger) -> Tagger:
    """A model just loaded, moved out of the cyclic garbage collector's sight.

    A model lives until the next version is promoted, and its vocabularies are dicts of
    hundreds of thousands of entries: every full collection walked them, about 0.1 s each,
    twice in the 8,000 posts of bench/ingest.py. Frozen objects are still freed by reference
    counting; `Services.refresh_models` unfreezes before the next version loads.
    """
    gc.collect()
    gc.freeze()
    return model


@dataclass
class Services:
    settings: Settings
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)
    read_sessions: sessionmaker[Session] = field(init=False)  # for pages and API reads

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.db_url)
        self.sessions = make_session_factory(self.engine)
        self.read_sessions = make_session_factory(self.engine, read_only=True)

    @cached_property
    def catalogue(self) -> Catalogue:
        return load_catalogue(self.settings.data_dir / "units.yaml")

    @property
    def sla_rules(self) -> SlaRules:
        """The SLA policies (``data/sla.yaml``) on the business calendar (``data/calendar.yaml``).

        Read again when either file changes, so an edited policy or a new holiday applies
        from the next case and sweep without a restart.
        """
        stamp = tuple(path.stat().st_mtime_ns if path.exists() else None for path in self._sla_files())
        if getattr(self, "_sla_stamp", None) != stamp:
            self._sla_rules, self._sla_stamp = load_rules(self.settings.data_dir, self.settings.tz), stamp
        return self._sla_rules

    def _sla_files(self) -> tuple[Path, Path]:
        return self.settings.data_dir / "sla.yaml", self.settings.data_dir / "calendar.yaml"

    @cached_property
    def tagger(self) -> Tagger:
        """The current model; a file that fails the trusted-type audit stops the process."""
        self._loaded_version = registry.current_version(self.settings.models_dir)
        return settled(load_model(self.settings.model_path))

    @cached_property
    def unit_model(self) -> Tagger | None:
        """The current version's unit model (text -> unit slug), if it has one."""
        path = registry.current_model_path(self.settings.models_dir, registry.UNITS)
        return None if path is None else settled(load_model(path))

    @cached_property
    def routing(self) -> Catalogue:
        """The catalogue with the unit model as the fallback when no rule matches."""
        return replace(self.catalogue, unit_model=self.unit_model)

    def refresh_models(self) -> None:
        """Forget the loaded models if another version became current (retrain, rollback)."""
        if "tagger" in self.__dict__ and registry.current_version(self.settings.models_dir) != self._loaded_version:
            for name in ("tagger", "unit_model", "routing"):
                self.__dict__.pop(name, None)
            gc.unfreeze()  # the old models may hold reference cycles: let the collector see them again

    @cached_property
    def reply_templates(self) -> tuple[ReplyTemplate, ...]:
        return load_templates(self.settings.data_dir / "reply_templates.yaml")

    @cached_property
    def complaints_sink(self) -> ComplaintsSink | None:
        """The national complaints system's Open311 client, or None when forwarding is off."""
        if not self.settings.complaints_url:
            return None
        return ComplaintsSink(self.settings, load_service_codes(self.settings.data_dir / "units.yaml"))

    @cached_property
    def _reply_sinks(self) -> dict[str, Sink]:
        return {}

    def reply_sink(self, kind: str) -> Sink:
        """The sink that posts replies on a channel of ``kind``: X for `x`, the console otherwise."""
        if kind not in self._reply_sinks:
            self._reply_sinks[kind] = self._build_reply_sink(kind)
        return self._reply_sinks[kind]

    def close(self) -> None:
        """Close the outbound connections this process opened, then the database pool."""
        sinks = [*self.__dict__.get("_reply_sinks", {}).values(), self.__dict__.get("complaints_sink")]
        for sink in sinks:
            close = getattr(sink, "close", None)
            if close is not None:
                close()
        self.engine.dispose()

    def _build_reply_sink(self, kind: str) -> Sink:
        if kind == "x":
            from monitor.sinks.x_reply import XReplySink

            return XReplySink(self.settings)
        return ConsoleSink(self.settings.home / "outbox" / "console-replies.jsonl")
