"""The chaos harness: real service processes, a feeder, a webhook receiver, and the outcome.

- :class:`Pipeline` runs ``python -m services.cli extractor|store|alerts|crawler`` as OS
  processes with their ``INFRALEDGER_*`` environment (fresh topic prefix, consumer groups and
  database per scenario), and kills, stops and restarts them.
- :class:`Feeder` publishes the corpus to ``articles.v1`` at a steady pace from a thread, so that
  faults hit a pipeline with messages in flight; a publish the broker refuses is retried.
- :class:`Receiver` is a webhook endpoint on 127.0.0.1 that records every ``webhook-id`` it
  answered 2xx for; it can be taken down (port closed) and brought back on the same port.
- :func:`read_outcome` reads what the pipeline produced from the database; :func:`compare`
  compares it with the fault-free reference run over the same input.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import inspect, text

from services.alerts.matching import ALL_KINDS, Filter
from services.alerts.repository import create_endpoint
from services.core.bus import Outgoing
from services.core.config import Settings, load_settings
from services.core.db import make_engine, session_factory, transaction, utcnow
from services.core.errors import RetryableError
from services.core.kafka import LagProbe, ensure_topics, kafka_publisher
from services.core.localkafka import free_port
from services.core.localpg import LocalPostgres
from services.core.migrate import upgrade
from services.core.models import ArticleV1
from services.core.topics import Topics
from services.runtime import CONSUMED_TOPIC, group_of

REPO_ROOT = Path(__file__).resolve().parents[2]
CONSUMERS = ("extractor", "store", "alerts")
RETRY_SCHEDULE = "0,1s,2s,4s,8s,15s,30s,30s,30s"
"""Cumulatively 120 s: a receiver down for 60 s is reached again within the schedule."""


def notified_changes_sql(conn: Any) -> str:
    """The ids of changes that alert (live ``reaffirmed`` changes notify nobody).

    The change log keeps each ``ChangeV1`` as JSON: column ``value`` (text), or ``change`` (JSON)
    in older schemas.
    """
    return f"SELECT id FROM store_changes WHERE {change_json(conn)}->>'notify' = 'true'"


def change_json(conn: Any) -> str:
    columns = {c["name"] for c in inspect(conn).get_columns("store_changes")}
    return "(change::json)" if "change" in columns else "(value::json)"


_counter = itertools.count()
SESSION_TIMEOUT_MS = 6000
HEARTBEAT_MS = 1000
"""Of the brokers the suite starts (KRaft broker sessions; faster fencing of a dead node)."""


class ChaosTimeout(AssertionError):
    """A bounded wait ran out: the pipeline did not reach the condition in time."""


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, every: float = 0.25
) -> float:
    """Poll ``condition`` until true; return the seconds it took; fail after ``timeout``."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise ChaosTimeout(f"{what}: not reached within {timeout:.0f}s")
        time.sleep(every)
    return time.monotonic() - began


def fresh_database(server: LocalPostgres, label: str) -> str:
    """A new, empty database on ``server`` for one scenario, with durable commits.

    The launcher runs PostgreSQL with ``synchronous_commit=off`` (fast tests); then a crash
    loses transactions the server already acknowledged, which no consumer can make good (the
    suite's first run of scenario 5 lost two articles that way).  Exactly-once effects need
    durable commits, PostgreSQL's default: the database setting takes precedence over the
    server's command line.
    """
    name = re.sub(r"[^a-z0-9_]", "_", f"chaos{os.getpid()}_{next(_counter)}_{label}".lower())
    url = server.create_database(name[:60])
    engine = make_engine(server.url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name[:60]}" SET synchronous_commit = on'))
    finally:
        engine.dispose()
    return url


# --------------------------------------------------------------------------- webhook receiver


@dataclass
class Hit:
    webhook_id: str
    event_id: str | None
    status: int
    at: float


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1; ``down()`` closes the port, ``up()`` reopens it."""

    port: int = 0
    hits: list[Hit] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/chaos"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                try:
                    event_id = json.loads(body)["data"].get("id")
                except (ValueError, KeyError, AttributeError):
                    event_id = None
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver._lock:
                    receiver.hits.append(
                        Hit(self.headers.get("webhook-id", ""), event_id, 200, time.monotonic())
                    )

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._server = None

    def received(self) -> Counter[str]:
        """2xx answers per webhook-id."""
        with self._lock:
            return Counter(h.webhook_id for h in self.hits if 200 <= h.status < 300)

    def events(self) -> dict[str, str | None]:
        with self._lock:
            return {h.webhook_id: h.event_id for h in self.hits}


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    hooks = Receiver()
    hooks.up()
    try:
        yield hooks
    finally:
        hooks.down()


# --------------------------------------------------------------------------- feeder


class Feeder:
    """Publishes articles (or raw messages) to a topic from a thread at ``rate`` per second."""

    def __init__(self, settings: Settings, messages: Sequence[Outgoing], rate: float) -> None:
        self.settings = settings
        self.messages = list(messages)
        self.rate = rate
        self.published = 0
        self.retries = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="chaos-feeder", daemon=True)

    @classmethod
    def articles(cls, settings: Settings, articles: Sequence[ArticleV1], rate: float) -> Feeder:
        topic = Topics(settings.topic_prefix).articles
        return cls(
            settings,
            [Outgoing(topic, a.id, a.model_dump_json().encode()) for a in articles],
            rate,
        )

    def start(self) -> Feeder:
        self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return self.published >= len(self.messages)

    def join(self, timeout: float = 180.0) -> None:
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        if self._thread.is_alive():
            raise ChaosTimeout(f"feeder: {self.published}/{len(self.messages)} after {timeout}s")

    def _run(self) -> None:
        try:
            asyncio.run(self._feed())
        except BaseException as exc:  # reported by join()
            self.error = exc

    async def _feed(self) -> None:
        chunk = max(1, int(self.rate / 10))
        began = time.monotonic()
        async with kafka_publisher(self.settings) as publisher:
            while self.published < len(self.messages):
                batch = self.messages[self.published : self.published + chunk]
                deadline = time.monotonic() + 120
                while True:
                    try:
                        await publisher.publish_many(batch)
                        break
                    except RetryableError:
                        # The broker is away (a scenario killed it): publish the chunk again.
                        self.retries += 1
                        if time.monotonic() > deadline:
                            raise
                        await asyncio.sleep(0.5)
                self.published += len(batch)
                ahead = self.published / self.rate - (time.monotonic() - began)
                if ahead > 0:
                    await asyncio.sleep(ahead)


async def _publish(settings: Settings, messages: Sequence[Outgoing]) -> None:
    async with kafka_publisher(settings) as publisher:
        await publisher.publish_many(messages)


def publish(settings: Settings, messages: Sequence[Outgoing]) -> None:
    asyncio.run(_publish(settings, messages))


# --------------------------------------------------------------------------- pipeline


@dataclass
class Proc:
    name: str
    service: str
    process: subprocess.Popen[bytes]
    log: Path
    health_port: int

    def ready(self) -> bool:
        """``/readyz`` answers 200: its consumer has partitions and the database answers (and the
        crawler's archive takes records)."""
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.health_port}/readyz", timeout=2.0)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200

    def metric(self, name: str) -> str:
        """The value of the unlabelled metric ``name`` on ``/metrics`` (``""`` if absent)."""
        answer = httpx.get(f"http://127.0.0.1:{self.health_port}/metrics", timeout=2.0)
        for line in answer.text.splitlines():
            if line.startswith(name + " "):
                return line.split(" ", 1)[1]
        return ""

    def checks(self) -> dict[str, bool]:
        """``/readyz``'s checks by name (none while it does not answer)."""
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.health_port}/readyz", timeout=2.0)
        except httpx.HTTPError:
            return {}
        checks: dict[str, bool] = answer.json()["checks"]
        return checks


class Pipeline:
    """The services of one scenario as OS processes sharing one environment."""

    def __init__(
        self,
        label: str,
        kafka: str,
        database_url: str,
        work: Path,
        *,
        partitions: int = 3,
        replication_factor: int = 1,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        unique = f"chaos{os.getpid()}x{next(_counter)}{label}"
        self.label = label
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("INFRALEDGER_")},
            "INFRALEDGER_KAFKA_BOOTSTRAP": kafka,
            "INFRALEDGER_DATABASE_URL": database_url,
            "INFRALEDGER_TOPIC_PREFIX": f"{unique}.",
            "INFRALEDGER_GROUP_PREFIX": unique,
            "INFRALEDGER_PARTITIONS": str(partitions),
            "INFRALEDGER_REPLICATION_FACTOR": str(replication_factor),
            "INFRALEDGER_DATA_DIR": str(work / "var"),
            "INFRALEDGER_ALLOW_NETWORKS": "127.0.0.0/8",
            "INFRALEDGER_CRAWL_DELAY": "0",
            "INFRALEDGER_WEBHOOK_RETRY_SCHEDULE": RETRY_SCHEDULE,
            "INFRALEDGER_WEBHOOK_TIMEOUT": "2s",
            "INFRALEDGER_LOG_FORMAT": "json",
            "INFRALEDGER_GRACE_PERIOD": "15s",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.settings = load_settings(
            **{
                k.removeprefix("INFRALEDGER_").lower(): v
                for k, v in self.env.items()
                if k.startswith("INFRALEDGER_")
            }
        )
        self.procs: dict[str, Proc] = {}
        self.last_error: str | None = None
        self.exit_codes: list[tuple[str, int]] = []
        self._instances = itertools.count()

    @property
    def topics(self) -> Topics:
        return Topics(self.settings.topic_prefix)

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    # ---- set-up

    def prepare(self, webhook_url: str) -> None:
        """Tables, topics and one subscription to every kind of change."""
        upgrade(self.database_url)
        asyncio.run(ensure_topics(self.settings))
        engine = make_engine(self.database_url)
        try:
            with transaction(session_factory(engine)) as session:
                create_endpoint(
                    session, webhook_url, Filter(kinds=ALL_KINDS), utcnow(),
                    allow_networks=self.settings.allow_networks,
                )  # fmt: skip
        finally:
            engine.dispose()

    # ---- processes

    def start(self, service: str, name: str | None = None) -> str:
        name = name or service
        log = self.logs / f"{name}.{next(self._instances)}.log"
        port = free_port()
        env = {**self.env, "INFRALEDGER_HEALTH_PORT": str(port)}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", service],
                env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.procs[name] = Proc(name, service, process, log, port)
        return name

    def wait_ready(self, name: str, timeout: float = 120.0) -> float:
        """Wait until process ``name`` has its partitions (it is consuming)."""
        proc = self.procs[name]

        def ready() -> bool:
            self.check_alive()
            return proc.ready()

        return wait_until(ready, timeout, f"{name} ready", every=0.2)

    def start_all(self, services: Sequence[str] = CONSUMERS) -> None:
        for service in services:
            self.start(service)

    def kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = 60.0) -> int:
        """Send ``sig`` and wait for the process to exit; returns its exit code."""
        proc = self.procs.pop(name)
        if proc.process.poll() is None:
            proc.process.send_signal(sig)
        code = proc.process.wait(timeout=timeout)
        self.exit_codes.append((name, code))
        return code

    def restart(self, name: str, sig: int = signal.SIGKILL) -> int:
        service = self.procs[name].service
        code = self.kill(name, sig)
        self.start(service, name)
        return code

    def check_alive(self) -> None:
        for proc in self.procs.values():
            if proc.process.poll() is not None:
                tail = proc.log.read_text(errors="replace")[-3000:]
                raise AssertionError(f"{proc.name} exited with {proc.process.returncode}:\n{tail}")

    def stop_all(self) -> dict[str, int]:
        """SIGTERM every process; the exit codes (0 expected)."""
        for proc in self.procs.values():
            if proc.process.poll() is None:
                proc.process.send_signal(signal.SIGTERM)
        codes = {}
        for name in list(self.procs):
            proc = self.procs.pop(name)
            try:
                codes[name] = proc.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.process.kill()
                codes[name] = proc.process.wait(timeout=30)
        return codes

    def log_text(self, name_prefix: str) -> str:
        return "".join(
            p.read_text(errors="replace") for p in sorted(self.logs.glob(f"{name_prefix}*.log"))
        )

    # ---- progress and drain

    def count(self, sql: str) -> int:
        engine = make_engine(self.database_url, pool_pre_ping=False)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()

    def notified_count(self) -> int:
        engine = make_engine(self.database_url, pool_pre_ping=False)
        try:
            with engine.connect() as conn:
                sql = notified_changes_sql(conn).replace("SELECT id", "SELECT count(*)", 1)
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()

    def stored_articles(self) -> int:
        try:
            return self.count("SELECT count(*) FROM store_articles")
        except Exception:
            return -1

    def lag(self) -> int:
        async def total() -> int:
            lag = 0
            async with LagProbe(self.settings) as probe:
                for service in CONSUMERS:
                    topic = getattr(self.topics, CONSUMED_TOPIC[service])
                    lag += await probe.lag(group_of(self.settings, service), [topic])
            return lag

        async def bounded() -> int:
            async with asyncio.timeout(20):
                return await total()

        try:
            return asyncio.run(bounded())
        except Exception:
            return -1

    def drained(self, articles: int) -> bool:
        """Every article stored, every offset committed, every outbox row published, every
        delivery settled and received."""
        try:
            if self.count("SELECT count(*) FROM store_articles") < articles:
                return False
            if self.count("SELECT count(*) FROM store_outbox WHERE published_at IS NULL"):
                return False
            changes = self.notified_count()
            settled = self.count(
                "SELECT count(*) FROM alerts_deliveries WHERE state IN ('delivered', 'failed')"
            )
            if settled < changes:
                return False
        except Exception as exc:  # the database is away (a scenario stopped it) or a bug
            self.last_error = repr(exc)[:500]
            return False
        return self.lag() == 0

    def wait_drained(self, articles: int, timeout: float = 240.0) -> float:
        def ready() -> bool:
            self.check_alive()
            return self.drained(articles)

        try:
            return wait_until(ready, timeout, f"{self.label}: pipeline drained", every=0.5)
        except ChaosTimeout as exc:
            raise ChaosTimeout(f"{exc} (last database error: {self.last_error})") from None


# --------------------------------------------------------------------------- outcome


@dataclass
class Outcome:
    articles: set[str]
    facts: Counter[tuple[str, int]]
    fact_values: dict[tuple[str, int], str]
    versions: Counter[tuple[str, int]]
    history: dict[tuple[str, int], tuple[str, str, str]]
    ledger: dict[str, str]
    changes: Counter[str]
    notified: set[str]
    deliveries_db: Counter[str]
    undelivered: set[str]
    received: Counter[str]
    webhook_events: dict[str, str | None]
    lost_attempts: set[str]

    @property
    def history_ids(self) -> set[str]:
        return {version_id for version_id, _, _ in self.history.values()}


def read_outcome(database_url: str, hooks: Receiver) -> Outcome:
    engine = make_engine(database_url, pool_pre_ping=False)
    try:
        with engine.connect() as conn:

            def rows(sql: str) -> list[Any]:
                return list(conn.execute(text(sql)))

            articles = {r[0] for r in rows("SELECT id FROM store_articles")}
            fact_rows = rows("SELECT article_id, position, key, fact FROM store_facts")
            version_rows = rows(
                "SELECT key, seq, id, kind, article_id, after FROM store_commitment_versions"
            )
            ledger = {
                r[0]: json.dumps(r[1], sort_keys=True)
                for r in rows("SELECT key, state FROM store_commitments")
            }
            changes = Counter(r[0] for r in rows("SELECT id FROM store_changes"))
            notified = {r[0] for r in rows(notified_changes_sql(conn))}
            deliveries = rows("SELECT event_id, endpoint_id, state FROM alerts_deliveries")
            lost = {
                r[0] for r in rows("SELECT webhook_id FROM alerts_attempts WHERE outcome = 'lost'")
            }
    finally:
        engine.dispose()

    def as_json(value: Any) -> str:
        loaded = json.loads(value) if isinstance(value, str) else value
        return json.dumps(loaded, sort_keys=True)

    return Outcome(
        articles=articles,
        facts=Counter((r[0], r[1]) for r in fact_rows),
        fact_values={(r[0], r[1]): r[2] + as_json(r[3]) for r in fact_rows},
        versions=Counter((r[0], r[1]) for r in version_rows),
        history={(r[0], r[1]): (r[2], r[3], r[4] + as_json(r[5])) for r in version_rows},
        ledger=ledger,
        changes=changes,
        notified=notified,
        deliveries_db=Counter(f"{r[0]}|{r[1]}" for r in deliveries),
        undelivered={r[0] for r in deliveries if r[2] != "delivered"},
        received=hooks.received(),
        webhook_events=hooks.events(),
        lost_attempts=lost,
    )


@dataclass
class Comparison:
    """The scenario's outcome against the reference: what is missing and what is doubled."""

    facts: int
    changes: int
    deliveries: int
    lost: int
    duplicated: int
    resent: int
    transient_changes: int
    details: dict[str, Any]


def compare(reference: Outcome, run: Outcome) -> Comparison:
    """``lost``: reference items missing or different in the run; ``duplicated``: items present
    more than once (database rows, or webhook-ids answered 2xx twice without a lost attempt)."""
    lost: dict[str, Any] = {
        "articles": sorted(reference.articles - run.articles),
        "facts": sorted(
            f"{a}:{p}"
            for (a, p), value in reference.fact_values.items()
            if run.fact_values.get((a, p)) != value
        ),
        "history": sorted(
            f"{k}#{s}"
            for (k, s), version in reference.history.items()
            if run.history.get((k, s)) != version
        ),
        "ledger": sorted(k for k, state in reference.ledger.items() if run.ledger.get(k) != state),
        "changes": sorted(reference.history_ids - set(run.changes)),
        "deliveries": sorted(
            ((reference.history_ids & reference.notified) | run.notified)
            - {e for w, e in run.webhook_events.items() if e and run.received[w]}
        ),
    }
    unexpected = {
        "facts": sorted(f"{a}:{p}" for a, p in set(run.facts) - set(reference.facts)),
        "history": sorted(f"{k}#{s}" for k, s in set(run.history) - set(reference.history)),
        "ledger": sorted(set(run.ledger) - set(reference.ledger)),
    }
    excused = {w for w, n in run.received.items() if n > 1 and w in run.lost_attempts}
    duplicated = {
        "facts": sum(n - 1 for n in run.facts.values() if n > 1),
        "versions": sum(n - 1 for n in run.versions.values() if n > 1),
        "changes": sum(n - 1 for n in run.changes.values() if n > 1),
        "deliveries_db": sum(n - 1 for n in run.deliveries_db.values() if n > 1),
        "received": sum(n - 1 for w, n in run.received.items() if n > 1 and w not in excused),
    }
    resent = sum(run.received[w] - 1 for w in excused)
    return Comparison(
        facts=sum(run.facts.values()),
        changes=sum(run.changes.values()),
        deliveries=len(run.received),
        lost=sum(len(v) for v in lost.values()) + sum(len(v) for v in unexpected.values()),
        duplicated=sum(duplicated.values()),
        resent=resent,
        transient_changes=len(set(run.changes) - reference.history_ids),
        details={
            "lost": {k: v[:20] for k, v in lost.items() if v},
            "unexpected": {k: v[:20] for k, v in unexpected.items() if v},
            "duplicated": {k: v for k, v in duplicated.items() if v},
            "resent": resent,
        },
    )


# --------------------------------------------------------------------------- scenario runner


@dataclass
class Run:
    """What a fault function acts on."""

    pipeline: Pipeline
    hooks: Receiver
    feeder: Feeder
    articles: Sequence[ArticleV1]

    def at_published(self, count: int, timeout: float = 180.0) -> None:
        """Wait until the feeder has published ``count`` articles."""
        feeder = self.feeder
        wait_until(lambda: feeder.published >= count or feeder.error is not None, timeout,
                   f"feeder reaching {count} articles", every=0.05)  # fmt: skip


@dataclass
class Result:
    comparison: Comparison
    outcome: Outcome
    recovery_s: float | None
    exit_codes: dict[str, int]
    killed_codes: list[tuple[str, int]]
    pipeline: Pipeline


Fault = Callable[[Run], float | None]
"""Injects the scenario's faults while the feed runs; returns when the last fault ended
(``time.monotonic()``), or None for no fault."""


def run_scenario(
    name: str,
    *,
    kafka: str,
    database_url: str,
    work: Path,
    articles: Sequence[ArticleV1],
    reference: Outcome | None,
    fault: Fault,
    record: Callable[[str, int, Comparison, float | None], None],
    rate: float = 25.0,
    replication_factor: int = 1,
    drain_timeout: float = 300.0,
    services: Sequence[str] = CONSUMERS,
    extra_env: dict[str, str] | None = None,
) -> Result:
    """Run the pipeline over ``articles`` with ``fault`` injected; record and return the result."""
    unique = {a.id for a in articles}
    with receiver() as hooks:
        pipeline = Pipeline(
            name.split(" ")[0].lower().replace(".", ""), kafka, database_url, work,
            replication_factor=replication_factor, extra_env=extra_env,
        )  # fmt: skip
        pipeline.prepare(hooks.url)
        pipeline.start_all(services)
        feeder = Feeder.articles(pipeline.settings, articles, rate).start()
        run = Run(pipeline, hooks, feeder, articles)
        recovery: float | None = None
        comparison: Comparison | None = None
        outcome: Outcome | None = None
        codes: dict[str, int] = {}
        try:
            fault_end = fault(run)
            feeder.join()
            pipeline.wait_drained(len(unique), drain_timeout)
            if fault_end is not None:
                recovery = max(0.0, time.monotonic() - fault_end)
        finally:
            codes = pipeline.stop_all()
            try:
                outcome = read_outcome(database_url, hooks)
                comparison = compare(reference or outcome, outcome)
            finally:
                if comparison is None:
                    comparison = Comparison(0, 0, 0, -1, -1, 0, 0, {"error": "no outcome"})
                record(name, len(unique), comparison, recovery)
    assert outcome is not None
    return Result(comparison, outcome, recovery, codes, pipeline.exit_codes, pipeline)
