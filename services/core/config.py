"""Typed configuration: every setting is an ``INFRALEDGER_*`` environment variable.

:func:`load_settings` validates them once at start-up and raises :class:`ConfigError` naming the
offending variable.  Durations accept ``500ms``, ``5s``, ``5m``, ``2h``, ``5d`` or plain seconds.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.core.errors import ConfigError

ENV_PREFIX = "INFRALEDGER_"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(text: str | float | int) -> float:
    """Seconds from ``5s``, ``5m``, ``2h``, ``5d``, ``250ms`` or a bare number of seconds."""
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 500ms, 5s, 5m, 2h, 5d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_schedule(text: str | list[Any] | tuple[Any, ...]) -> tuple[float, ...]:
    """A retry schedule ``0,5s,5m,30m`` → delays in seconds before each attempt."""
    items = text.split(",") if isinstance(text, str) else list(text)
    delays = tuple(parse_duration(item) for item in items if str(item).strip())
    if not delays:
        raise ValueError("the schedule needs at least one attempt")
    return delays


def _networks(text: str | list[Any] | tuple[Any, ...]) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(str(ipaddress.ip_network(str(i).strip(), strict=False)) for i in items if i)


Duration = Annotated[float, BeforeValidator(parse_duration)]
MIN_RETENTION = 86400.0
"""Less would leave no trail of a day's deliveries to look into."""


class Settings(BaseSettings):
    """All of infraledger's settings.  Field ``foo_bar`` is ``INFRALEDGER_FOO_BAR``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", env_file=None
    )

    # --- infrastructure
    kafka_bootstrap: str | None = Field(
        default=None, description="host:port list; unset → a local broker is started"
    )
    database_url: str = Field(default="sqlite:///var/infraledger.db")
    topic_prefix: str = Field(default="", description="Prefix of every topic name")
    group_prefix: str = Field(default="infraledger", description="Prefix of consumer groups")
    partitions: int = Field(default=6, ge=1, le=1000)
    replication_factor: int = Field(default=1, ge=1, le=10)
    data_dir: Path = Field(default=Path("var"), description="Local state: broker, WARC, reports")

    # --- crawler
    sources: Path = Field(default=Path("seeds/sources.yaml"))
    archive_dir: Path | None = Field(default=None, description="WARC directory (data_dir/warc)")
    allow_networks: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_networks)] = Field(
        default=(), description="CIDRs exempt from the SSRF guard, e.g. 127.0.0.0/8"
    )
    crawl_delay: Duration = Field(default=2.0, ge=0, description="Minimum delay per host")
    fetch_timeout: Duration = Field(default=20.0, gt=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    parse_timeout: Duration = Field(
        default=30.0, gt=0,
        description="Deadline of one page's parse in a worker; the worker of a page past it is "
        "replaced, and the page tried again when listed again",
    )
    parse_timeout_attempts: int = Field(
        default=3, ge=1,
        description="Parses of one URL that run past the deadline before it is remembered as "
        "no article (a busy moment is not the page's fault; a page that holds every worker is)",
    )
    user_agent: str = Field(default="infraledger/0.1 (+https://github.com/infraledger)")
    relevance_file: Path | None = Field(
        default=None, description="Extra relevance rules (YAML) merged over the built-in ones"
    )

    # --- extractor
    organisations_file: Path | None = Field(
        default=None, description="Extra organisations (YAML) merged over the built-in list"
    )

    # --- store
    conflict_window: Duration = Field(
        default=31 * 86400.0, gt=0,
        description="A different value from another source within this time of the commitment's "
        "last sighting (a repeat counts) is a conflict",
    )

    # --- compute view
    accelerators_file: Path | None = Field(
        default=None, description="Extra accelerators (YAML) merged over the built-in table"
    )

    # --- alerts
    webhook_retry_schedule: Annotated[
        tuple[float, ...], NoDecode, BeforeValidator(parse_schedule)
    ] = Field(default=(0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0))
    webhook_timeout: Duration = Field(default=15.0, gt=0)
    webhook_disable_after: Duration = Field(default=5 * 86400.0, gt=0)
    webhook_concurrency: int = Field(default=4, ge=1, le=64)

    # --- serving and operation
    api_port: int = Field(default=8080, ge=0, le=65535)
    health_port: int | None = Field(default=None, ge=0, le=65535)
    api_token: SecretStr | None = None
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    grace_period: Duration = Field(default=20.0, ge=0)
    retention: Duration = Field(
        default=90 * 86400.0, ge=0,
        description="Settled webhook deliveries and published outbox rows older than this are "
        "deleted, and the crawler forgets older articles' near-duplicate fingerprints (0: kept "
        "for ever); deliveries at least as long as ledger.changes.v1 keeps records",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("retention")
    @classmethod
    def _at_least_a_day(cls, value: float) -> float:
        if 0 < value < MIN_RETENTION:
            raise ValueError("keep settled rows at least 1d, or 0 to keep them for ever")
        return value

    @field_validator("organisations_file", "relevance_file", "accelerators_file")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @property
    def warc_dir(self) -> Path:
        return self.archive_dir or self.data_dir / "warc"

    def masked(self) -> dict[str, Any]:
        """The effective configuration with secrets and passwords masked."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "****" if value.get_secret_value() else ""
            elif name == "database_url":
                value = re.sub(r"//([^:/@]+):[^@]+@", r"//\1:****@", value)
            elif isinstance(value, Path):
                value = str(value)
            shown[ENV_PREFIX + name.upper()] = value
        return shown


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the environment once; a bad variable raises :class:`ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
