"""The feed position: each change of the log is shown once, across partial and full pages."""

from __future__ import annotations

import pytest

from services.dashboard.feed import Position, advance
from services.store.queries import Page

from .builders import change_of, gpus, version, when

CHANGES = [change_of(version(i, "new", gpus(i, str(i)), str(i), at=when(i))) for i in range(1, 6)]


def test_a_position_round_trips_through_its_token_and_rejects_others() -> None:
    for position in (Position(), Position("1000", 3)):
        assert Position.parse(position.token) == position
    assert Position().token == ".0"
    for bad in ("", "x.1", "10", "1.-1", "1.2.3"):
        with pytest.raises(ValueError, match="not a feed position"):
            Position.parse(bad)


def test_a_partial_page_is_remembered_by_how_much_of_it_was_seen() -> None:
    seen, position = advance(Position(), Page(items=CHANGES[:2]))
    assert seen == CHANGES[:2] and position == Position(None, 2)
    later, position = advance(position, Page(items=CHANGES[:4]))
    assert later == CHANGES[2:4] and position == Position(None, 4)
    nothing, same = advance(position, Page(items=CHANGES[:4]))
    assert nothing == [] and same == position


def test_a_full_page_moves_the_position_to_its_cursor() -> None:
    seen, position = advance(Position("7", 1), Page(items=CHANGES[:3], next_cursor="10"))
    assert seen == CHANGES[1:3] and position == Position("10", 0)
