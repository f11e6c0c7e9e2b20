"""Configuration is validated once at start-up, naming the bad variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.config import load_settings, parse_duration, parse_schedule
from services.core.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("5s", 5.0), ("5m", 300.0), ("2h", 7200.0), ("5d", 432000.0), ("7", 7.0)],
)
def test_durations_accept_the_documented_units(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_the_default_webhook_schedule_is_the_documented_one() -> None:
    assert load_settings().webhook_retry_schedule == parse_schedule("0,5s,5m,30m,2h,5h,10h,10h")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("INFRALEDGER_PARTITIONS", "many"),
        ("INFRALEDGER_WEBHOOK_RETRY_SCHEDULE", "0,soon"),
        ("INFRALEDGER_ALLOW_NETWORKS", "10.0.0.0/33"),
        ("INFRALEDGER_DATABASE_URL", "mysql://db/x"),
        ("INFRALEDGER_RELEVANCE_FILE", "/no/such/rules.yaml"),
        ("INFRALEDGER_LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_variable_stops_start_up_with_its_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INFRALEDGER_API_TOKEN", "s3cret")
    monkeypatch.setenv("INFRALEDGER_DATABASE_URL", "postgresql://ledger:pa55@db:5432/ledger")
    shown = load_settings().masked()
    assert shown["INFRALEDGER_API_TOKEN"] == "****"
    assert shown["INFRALEDGER_DATABASE_URL"] == "postgresql+psycopg://ledger:****@db:5432/ledger"
