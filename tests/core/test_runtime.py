"""The interpreter settings the services run under, and the process as it was afterwards."""

from __future__ import annotations

import gc
import sys

from services.runtime import SWITCH_INTERVAL, settled_interpreter


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
