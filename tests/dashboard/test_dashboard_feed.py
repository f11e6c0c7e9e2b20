"""The feed position's token: what a page renders and polls with."""

from __future__ import annotations

import pytest

from services.dashboard.feed import Position


def test_a_position_round_trips_through_its_token_and_rejects_others() -> None:
    for position in (Position(), Position("1000", 3)):
        assert Position.parse(position.token) == position
    assert Position().token == ".0"
    too_large = ("9" * 19 + ".0", "1." + "9" * 10)  # past a 64-bit seq, past a count
    for bad in ("", "x.1", "10", "1.-1", "1.2.3", "١.0", *too_large):
        with pytest.raises(ValueError, match="not a feed position"):
            Position.parse(bad)

