"""The Alembic migrations build exactly the schema the ORM tables declare, on both databases,
and each one's downgrade takes the schema back to exactly what the revision before it built."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select, text

from services.core.db import make_engine
from services.core.migrate import (
    MIGRATIONS,
    UnknownSchema,
    alembic_config,
    current_revisions,
    downgrade,
    schema_differences,
    target_metadata,
    upgrade,
)


def _revisions(url: str) -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _schema(url: str) -> dict[str, Any]:
    """What a migration changes: tables, columns, keys, indexes, PostgreSQL's compression."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return _describe(connection)
    finally:
        engine.dispose()


def _describe(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    tables: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (
                    i["name"] or "",
                    tuple(map(str, i["column_names"])),
                    bool(i["unique"]),
                    # a partial index's WHERE
                    tuple(sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items())),
                )
                for i in inspector.get_indexes(table)
            ),
        }
    if connection.dialect.name == "postgresql":
        compressed = connection.execute(
            text(
                "SELECT attrelid::regclass::text, attname, attcompression FROM pg_attribute "
                "WHERE attcompression <> '' AND attnum > 0 AND NOT attisdropped"
            )
        )
        tables["compression"] = sorted(tuple(row) for row in compressed)
    return tables


def test_upgrade_creates_every_table_and_leaves_no_difference_to_the_models(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)  # a second run at every service start is a no-op
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            differences = schema_differences(connection)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert set(target_metadata().tables) <= tables


def test_each_downgrade_restores_the_schema_its_revision_found(db_url: str) -> None:
    revisions = _revisions(db_url)
    assert len(revisions) >= 9
    built = {"base": _schema(db_url)}
    for revision in revisions:
        upgrade(db_url, revision)
        built[revision] = _schema(db_url)
    for revision, before in zip(reversed(revisions), ["base", *revisions][-2::-1], strict=True):
        downgrade(db_url, before)
        assert _schema(db_url) == built[before], f"downgrade of {revision} to {before}"
    assert not any(built["base"].values()), "base has no tables"
    upgrade(db_url)
    assert _schema(db_url) == built[revisions[-1]]


def test_the_command_line_rolls_the_database_back_and_forward(db_url: str) -> None:
    def db(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli", "db", *argv],
            env={**os.environ, "INFRALEDGER_DATABASE_URL": db_url},
            capture_output=True,
            text=True,
            timeout=120,
        )

    revisions = _revisions(db_url)
    assert db("upgrade").returncode == 0
    refused = db("downgrade")
    assert refused.returncode == 2
    assert "needs the revision" in refused.stderr
    assert current_revisions(db_url) == (revisions[-1],)

    unknown = db("downgrade", "nonesuch")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("db downgrade: ") and "Traceback" not in unknown.stderr

    rolled_back = db("downgrade", revisions[-2])
    assert rolled_back.returncode == 0, rolled_back.stderr
    assert f"database is at revision {revisions[-2]}\n" in rolled_back.stdout
    assert current_revisions(db_url) == (revisions[-2],)
    assert db("upgrade").returncode == 0
    assert current_revisions(db_url) == (revisions[-1],)


def test_the_previous_release_runs_on_a_database_the_newer_one_migrated(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    revisions = _revisions(db_url)
    upgrade(db_url)
    migrated = _schema(db_url)
    previous = tmp_path / "previous-release-migrations"
    shutil.copytree(MIGRATIONS, previous)
    [newest] = (previous / "versions").glob(f"{revisions[-1]}_*.py")
    newest.unlink()
    monkeypatch.setattr("services.core.migrate.MIGRATIONS", previous)

    with caplog.at_level(logging.WARNING, logger="services.core.migrate"):
        upgrade(db_url)  # what each of its services runs at start

    assert f"database is at revision {revisions[-1]}, which this release" in caplog.text
    assert "its schema fits this release's tables" in caplog.text
    assert current_revisions(db_url) == (revisions[-1],)
    assert _schema(db_url) == migrated


def test_a_release_refuses_an_unknown_revision_whose_schema_does_not_fit_it(
    db_url: str,
) -> None:
    first = _revisions(db_url)[0]
    upgrade(db_url, first)  # the tables as they were at the start: columns added since missing
    _stamp(db_url, "f00d")  # by a release on another branch, or another application

    with pytest.raises(UnknownSchema) as refused:
        upgrade(db_url)

    assert "database is at revision f00d, which this release" in str(refused.value)
    assert "column store_facts.effective_at is missing" in str(refused.value)
    assert current_revisions(db_url) == ("f00d",)


def _stamp(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        engine.dispose()


_KINDS_0012 = ["conflict", "decreased", "increased", "new", "reaffirmed", "retracted", "revised"]


@pytest.mark.parametrize(
    ("before_revision", "revision", "before", "kind"),
    [
        ("0012", "0013", _KINDS_0012, "withdrawn"),
        ("0016", "0017", sorted([*_KINDS_0012, "withdrawn"]), "settled"),
    ],
)
def test_endpoints_that_took_every_kind_or_the_default_also_hear_a_new_kind(
    db_url: str, before_revision: str, revision: str, before: list[str], kind: str
) -> None:
    """Revisions 0013 and 0017: a new kind reaches the endpoints whose lists meant "all" or "the
    default"; one that chose its kinds keeps its choice."""
    from datetime import UTC, datetime

    from services.alerts.tables import Endpoint

    upgrade(db_url, before_revision)
    chosen = {
        "every": before,
        "default": [k for k in before if k != "reaffirmed"],
        "own": ["new", "retracted"],
    }
    now = datetime(2026, 12, 1, tzinfo=UTC)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                Endpoint.__table__.insert(),
                [
                    {"id": name, "url": "http://127.0.0.1:9/hook", "secret": "s", "kinds": kinds,
                     "orgs": [], "status": "enabled", "created_at": now, "updated_at": now}
                    for name, kinds in chosen.items()
                ],
            )  # fmt: skip
        upgrade(db_url, revision)
        with engine.connect() as connection:
            kinds = {i: k for i, k in connection.execute(select(Endpoint.id, Endpoint.kinds))}
    finally:
        engine.dispose()
    assert kinds == {
        "every": sorted([*before, kind]),
        "default": sorted(k for k in [*before, kind] if k != "reaffirmed"),
        "own": ["new", "retracted"],
    }
