"""Assembling the service from settings: database, stores, sources, analyzer, rules and pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.access.keys import KeyStore
from monitor.access.sessions import SessionStore
from monitor.access.users import UserStore
from monitor.alerting.store import AlertStore
from monitor.analytics.feedback import FeedbackStore
from monitor.cases import Cases, open_cases
from monitor.claims.backfill import StoredClaimLinker
from monitor.claims.registry import ClaimRegistry
from monitor.claims.reviewed import load_claims
from monitor.config.catalog import load_spec_folder
from monitor.config.settings import Settings
from monitor.db import Database
from monitor.delivery import Dispatcher, load_channels
from monitor.errors import ConfigError
from monitor.ingestion.archive import RawArchive
from monitor.ingestion.health import HealthStore
from monitor.ingestion.hosts import HostLimiter
from monitor.ingestion.pipeline import Pipeline
from monitor.ingestion.plugins import load_plugins
from monitor.ingestion.quarantine import Quarantine
from monitor.ingestion.registry import Registry
from monitor.ingestion.scoring import AnalysisContext
from monitor.ingestion.sources import Source, SourceSpec
from monitor.ingestion.stories import StoryIndex
from monitor.ingestion.workers import Workers, default_worker_count
from monitor.rules.calendar import load_holiday_calendar
from monitor.rules.catalog import rule_spec_class
from monitor.rules.engine import RuleEngine
from monitor.rules.managed import ManagedRules
from monitor.rules.specs import RuleSpec
from monitor.store.base import DocumentStore
from monitor.store.factory import open_document_store

ARCHIVE_FOLDER = "archive"


@dataclass
class Monitor:
    """The assembled service; every entry point (CLI, API, notebooks) works through one of these."""

    settings: Settings
    registry: Registry
    db: Database
    store: DocumentStore
    alerts: AlertStore
    keys: KeyStore
    users: UserStore
    feedback: FeedbackStore
    health: HealthStore
    quarantine: Quarantine
    sources: list[Source]
    rules: list[RuleSpec]
    workers: Workers
    engine: RuleEngine
    delivery: Dispatcher
    cases: Cases
    claims: ClaimRegistry
    pipeline: Pipeline
    hosts: HostLimiter

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.spec.id == source_id), None)

    def close(self) -> None:
        self.workers.close()
        self.pipeline.close()
        self.store.close()
        self.db.close()


def load_source_specs(settings: Settings, registry: Registry) -> list[SourceSpec]:
    specs = load_spec_folder(
        settings.config_dir / "sources", "sources", lambda type_name: registry.source_type(type_name).spec_class
    )
    fetch_deadline = settings.crawl.fetch_deadline_seconds
    for spec in specs:
        # The same rule as for crawl.source_deadline_seconds (see CrawlSettings), checked against the settings.
        if spec.deadline_seconds is not None and spec.deadline_seconds < 2 * fetch_deadline:
            raise ConfigError(
                f"source {spec.id!r}: deadline_seconds ({spec.deadline_seconds:g}) must be at least twice "
                f"crawl.fetch_deadline_seconds ({fetch_deadline:g})",
                path=str(settings.config_dir / "sources"),
                key="deadline_seconds",
            )
    return specs


def load_rule_specs(settings: Settings) -> list[RuleSpec]:
    return load_spec_folder(settings.config_dir / "rules", "rules", rule_spec_class)


def build_monitor(settings: Settings, registry: Registry | None = None) -> Monitor:
    """Build the service; configuration errors surface here, before anything runs."""
    plugins = registry if registry is not None else load_plugins()
    source_specs = load_source_specs(settings, plugins)
    rules = load_rule_specs(settings)
    file_claims = load_claims(settings.config_dir)
    db = Database(settings.sqlite_path)
    claims = ClaimRegistry(db, file_claims)
    context = AnalysisContext(
        config_dir=settings.config_dir,
        source_credibility={spec.id: spec.credibility for spec in source_specs},
        claims=claims.claims(),
    )
    workers = Workers(
        default_worker_count() if settings.workers is None else settings.workers,
        plugins.analyzer(settings.analyzer),
        context,
    )
    workers.check()
    store = open_document_store(settings, db)
    alerts = AlertStore(db)
    health = HealthStore(db)
    quarantine = Quarantine(db)
    offset = settings.zone.utcoffset(datetime.now())
    delivery = Dispatcher(
        db,
        load_channels(settings.config_dir),
        rule_names={rule.id: rule.label for rule in rules},
        source_urls=lambda ids: {item.doc_id: item.document.url for item in store.get_many(ids)},
        zone=settings.zone,
    )
    engine = RuleEngine(
        rules,
        store,
        alerts,
        int(offset.total_seconds()) if offset else 0,
        calendar=load_holiday_calendar(settings.config_dir),
        health=health,
        on_recorded=lambda recorded, new_ids: delivery.enqueue(recorded, new_ids=new_ids),
        managed=ManagedRules(db),
    )
    archive = RawArchive(settings.data_dir / ARCHIVE_FOLDER)
    cases = open_cases(
        db,
        config_dir=settings.config_dir,
        data_dir=settings.data_dir,
        documents=store,
        archive=archive,
        alerts=alerts,
        claims=claims,
        linker=StoredClaimLinker(claims, store, workers),
    )
    return Monitor(
        settings=settings,
        registry=plugins,
        db=db,
        store=store,
        alerts=alerts,
        keys=KeyStore(db),
        users=UserStore(db, settings.console, SessionStore(db, settings.console)),
        feedback=FeedbackStore(db),
        health=health,
        quarantine=quarantine,
        sources=[plugins.source_type(spec.type).factory(spec) for spec in source_specs if spec.enabled],
        rules=rules,
        workers=workers,
        engine=engine,
        delivery=delivery,
        cases=cases,
        claims=claims,
        pipeline=Pipeline(
            store=store,
            workers=workers,
            engine=engine,
            health=health,
            quarantine=quarantine,
            archive=archive,
            stories=StoryIndex(db),
            claims=claims,
        ),
        hosts=HostLimiter(settings.crawl.per_host_concurrency, settings.crawl.per_host_interval_seconds),
    )
