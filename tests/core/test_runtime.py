"""The interpreter settings the services run under, the process as it was afterwards, and the
tasks a service runs beside its consumer."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable

from services.core.config import Settings
from services.runtime import SWITCH_INTERVAL, Runtime, settled_interpreter


def test_the_services_run_with_a_short_switch_interval_and_rarer_young_collections() -> None:
    with settled_interpreter():
        assert sys.getswitchinterval() == SWITCH_INTERVAL
        assert gc.get_threshold() == (20_000, 20, 20)
        assert gc.get_freeze_count() > 0  # the start-up heap is left out of every collection


def test_the_process_goes_on_with_the_settings_it_had_before() -> None:
    before = (sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count())
    with settled_interpreter():
        pass
    assert (sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count()) == before


async def test_a_retention_of_zero_keeps_settled_rows_for_ever(
    make_settings: Callable[..., Settings],
) -> None:
    def nothing(_session: object, _before: object, _limit: int) -> int:
        return 0

    kept = Runtime(make_settings(retention="0"), None, None, None, asyncio.Event(), ())  # type: ignore[arg-type]
    kept.keep_for_retention("store", nothing)
    pruned = Runtime(make_settings(), None, None, None, asyncio.Event(), ())  # type: ignore[arg-type]
    pruned.keep_for_retention("store", nothing)
    pruned.stop.set()  # before the task's first turn

    await asyncio.gather(*pruned.tasks)
    assert kept.tasks == []
    assert [task.get_name() for task in pruned.tasks] == ["store-retention"]
