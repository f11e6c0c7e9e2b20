"""Every command runs on the event loop ``INFRALEDGER_EVENT_LOOP`` names: uvloop by default."""

from __future__ import annotations

import asyncio
import importlib.util
from importlib.machinery import ModuleSpec

import pytest
import uvloop

from services.core.config import load_settings
from services.core.errors import ConfigError
from services.core.eventloop import EventLoop, run


async def _running_loop() -> asyncio.AbstractEventLoop:
    await asyncio.sleep(0)
    return asyncio.get_running_loop()


def test_commands_run_on_uvloop_by_default() -> None:
    kind = load_settings().event_loop
    assert kind == "uvloop"
    assert isinstance(run(_running_loop(), kind), uvloop.Loop)


def test_asyncio_s_own_loop_is_a_setting_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRALEDGER_EVENT_LOOP", "asyncio")
    loop = run(_running_loop(), load_settings().event_loop)
    assert isinstance(loop, asyncio.BaseEventLoop)
    assert not isinstance(loop, uvloop.Loop)


@pytest.mark.parametrize("kind", ["uvloop", "asyncio"])
def test_a_run_returns_the_result_and_closes_its_loop(kind: EventLoop) -> None:
    async def answer() -> tuple[int, asyncio.AbstractEventLoop]:
        await asyncio.sleep(0.01)
        return 42, asyncio.get_running_loop()

    result, loop = run(answer(), kind)
    assert result == 42
    assert loop.is_closed()


@pytest.mark.parametrize("kind", ["uvloop", "asyncio"])
def test_an_exception_inside_a_run_reaches_the_caller(kind: EventLoop) -> None:
    async def fail() -> None:
        await asyncio.sleep(0)
        raise LookupError("no such source")

    with pytest.raises(LookupError, match="no such source"):
        run(fail(), kind)


def test_uvloop_missing_stops_start_up_with_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    find_spec = importlib.util.find_spec

    def without_uvloop(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "uvloop" else find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", without_uvloop)
    with pytest.raises(ConfigError, match=r"INFRALEDGER_EVENT_LOOP: .*uvloop is not installed"):
        load_settings()
    monkeypatch.setenv("INFRALEDGER_EVENT_LOOP", "asyncio")
    assert load_settings().event_loop == "asyncio"


async def test_async_tests_run_on_the_services_loop() -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
