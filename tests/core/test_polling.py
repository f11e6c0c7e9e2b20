"""A whole poll hands on the same stretch of time of every partition (pure, no broker)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.core.polling import time_aligned


def stamp(record: tuple[object, int]) -> int:
    return record[1]


def test_records_up_to_the_earliest_newest_timestamp_go_now_and_the_rest_waits() -> None:
    polled = {
        "a": [("a0", 10), ("a1", 20), ("a2", 30)],
        "b": [("b0", 15), ("b1", 25)],
        "c": [("c0", 12), ("c1", 40), ("c2", 50)],
    }
    hand, hold = time_aligned(polled, stamp)
    assert hand == {"a": [("a0", 10), ("a1", 20)], "b": [("b0", 15), ("b1", 25)],
                    "c": [("c0", 12)]}  # fmt: skip
    assert hold == {"a": [("a2", 30)], "c": [("c1", 40), ("c2", 50)]}


def test_a_partition_wholly_past_the_horizon_waits_whole() -> None:
    hand, hold = time_aligned({"a": [("a0", 1), ("a1", 2)], "b": [("b0", 5)]}, stamp)
    assert hand == {"a": [("a0", 1), ("a1", 2)]}
    assert hold == {"b": [("b0", 5)]}


def test_records_at_the_horizon_itself_go_now() -> None:
    hand, hold = time_aligned({"a": [("a0", 7)], "b": [("b0", 7), ("b1", 8)]}, stamp)
    assert hand == {"a": [("a0", 7)], "b": [("b0", 7)]}
    assert hold == {"b": [("b1", 8)]}


def test_a_partition_holds_everything_from_its_first_record_past_the_horizon() -> None:
    """Held records stay contiguous: offsets are committed up to the last record handed on.
    The horizon is the earliest of the partitions' newest timestamps (4, b's), not of their
    last ones (3, a's): the partition that sets it goes whole."""
    hand, hold = time_aligned({"a": [("a0", 1), ("a1", 9), ("a2", 3)], "b": [("b0", 4)]}, stamp)
    assert hand == {"a": [("a0", 1)], "b": [("b0", 4)]}
    assert hold == {"a": [("a1", 9), ("a2", 3)]}


def test_a_poll_makes_progress_whatever_the_order_of_its_timestamps() -> None:
    hand, hold = time_aligned({"a": [("a0", 9), ("a1", 3)], "b": [("b0", 4), ("b1", 8)]}, stamp)
    assert hand == {"b": [("b0", 4), ("b1", 8)]}
    assert hold == {"a": [("a0", 9), ("a1", 3)]}


def test_an_empty_poll_hands_on_nothing() -> None:
    assert time_aligned({}, stamp) == ({}, {})
    assert time_aligned({"a": []}, stamp) == ({}, {})


def polls(ordered: bool) -> st.SearchStrategy[dict[str, list[tuple[int, int]]]]:
    return st.dictionaries(
        st.sampled_from("abcdef"),
        st.lists(st.integers(0, 50), max_size=8).map(
            lambda stamps: list(enumerate(sorted(stamps) if ordered else stamps))
        ),
        max_size=6,
    )


@given(polls(ordered=False))
def test_nothing_is_lost_and_every_poll_with_records_makes_progress(
    polled: dict[str, list[tuple[int, int]]],
) -> None:
    hand, hold = time_aligned(polled, stamp)
    for partition, records in polled.items():
        assert hand.get(partition, []) + hold.get(partition, []) == records
    assert bool(hand) == any(polled.values())


@given(polls(ordered=True))
def test_partitions_in_time_order_hand_on_nothing_newer_than_what_they_hold(
    polled: dict[str, list[tuple[int, int]]],
) -> None:
    hand, hold = time_aligned(polled, stamp)
    if hand and hold:
        newest_handed = max(t for records in hand.values() for _, t in records)
        assert all(t > newest_handed for records in hold.values() for _, t in records)
