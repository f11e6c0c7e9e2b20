"""A poll in event time takes its next records from the partition furthest behind (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from services.core.models import ArticleV1
from services.core.polling import EventTimeMerge, effective_at_header, header_time
from services.testing.polls import poll_in_event_time

Record = tuple[str, int | None]
Logs = dict[str, list[Record]]


def stamp(record: Record) -> int | None:
    return record[1]


def polls(logs: Logs, limit: int, step: int) -> list[Logs]:
    """Every poll until ``logs`` are read, with one merge throughout."""
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    left = {partition: list(records) for partition, records in logs.items()}
    taken = []
    while any(left.values()):
        taken.append(poll_in_event_time(merge, left, limit, step))
    return taken


def test_a_partition_this_poll_has_not_taken_from_goes_first() -> None:
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    merge.add("a", [("a0", 50)])
    merge.add("b", [("b0", 10)])
    merge.start()
    merge.add("b", [("b1", 20)])
    assert merge.furthest_behind(["a", "b"]) == "a"


def test_then_the_partition_whose_last_event_time_is_earliest() -> None:
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    merge.add("a", [("a0", 10), ("a1", 40)])
    merge.add("b", [("b0", 30)])
    merge.add("c", [("c0", 35), ("c1", 5)])  # out of order: where it is now is 5
    assert merge.furthest_behind(["a", "b", "c"]) == "c"
    assert merge.furthest_behind(["a", "b"]) == "b"
    assert merge.furthest_behind([]) is None
    assert merge.at == {"a": 40, "b": 30, "c": 5} and merge.total == 5


def test_where_a_partition_is_outlasts_the_poll() -> None:
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    merge.add("a", [("a0", 10)])
    merge.add("b", [("b0", 90)])
    merge.start()
    assert merge.polled == {} and merge.total == 0 and merge.at == {"a": 10, "b": 90}
    merge.add("b", [("b1", 95)])
    merge.add("a", [("a1", 11)])
    assert merge.furthest_behind(["a", "b"]) == "a"


def test_records_without_an_event_time_go_in_equal_shares_before_the_rest() -> None:
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    merge.add("a", [("a0", None), ("a1", None)])
    merge.add("b", [("b0", None)])
    merge.add("c", [("c0", 1)])
    assert merge.furthest_behind(["a", "b", "c"]) == "b"  # fewer records, no event time
    merge.add("b", [("b1", None), ("b2", None)])
    assert merge.furthest_behind(["a", "b", "c"]) == "a"
    assert merge.furthest_behind(["c"]) == "c"


def test_a_partition_with_twice_the_news_per_hour_gives_twice_the_records() -> None:
    """Equal shares would take partition b ahead of a by half of each poll's span."""
    logs: Logs = {
        "a": [(f"a{t}", t) for t in range(300)],
        "b": [(f"b{t}", t) for t in range(0, 600, 2)],
    }
    for taken in polls(logs, limit=60, step=4)[:5]:
        assert len(taken["a"]) in range(36, 45) and len(taken["b"]) in range(16, 25)
        assert abs(stamp(taken["a"][-1]) - stamp(taken["b"][-1])) <= 8  # type: ignore[operator]


def test_a_misdated_record_does_not_hold_its_partition_back() -> None:
    """An article dated decades ahead: its partition is placed by the records after it."""
    misdated: list[Record] = [("a0", 0), ("a1", 10**12)]
    logs: Logs = {"a": misdated + [(f"a{t}", t) for t in range(2, 40)],
                  "b": [(f"b{t}", t) for t in range(200)]}  # fmt: skip
    taken = polls(logs, limit=20, step=4)
    assert [len(each.get("a", [])) for each in taken[:5]] == [9, 12, 9, 9, 1]  # all 40


def test_a_lone_partition_fills_the_whole_poll() -> None:
    (first, *_) = polls({"a": [(f"a{t}", t) for t in range(50)], "b": []}, limit=30, step=4)
    assert list(first) == ["a"] and len(first["a"]) == 30


def partitions(ordered: bool) -> st.SearchStrategy[Logs]:
    def records(times: list[int | None]) -> list[Record]:
        in_order: list[int | None] = [*sorted(t or 0 for t in times)] if ordered else times
        return [(str(i), t) for i, t in enumerate(in_order)]

    times = st.lists(st.one_of(st.none(), st.integers(0, 1000)), max_size=40)
    return st.dictionaries(st.sampled_from("abcdef"), times.map(records), max_size=6)


@given(partitions(ordered=False), st.integers(1, 120), st.integers(1, 8))
def test_polls_take_every_record_once_in_each_partitions_order(
    logs: Logs, limit: int, step: int
) -> None:
    taken = polls(logs, limit, step)
    for partition, records in logs.items():
        assert [r for each in taken for r in each.get(partition, [])] == records
    assert all(0 < sum(map(len, each.values())) <= limit for each in taken)
    assert all(sum(map(len, each.values())) == limit for each in taken[:-1])


@given(partitions(ordered=True), st.integers(1, 120), st.integers(1, 8))
def test_what_a_poll_leaves_for_later_is_older_than_at_most_a_step_of_any_other_partition(
    logs: Logs, limit: int, step: int
) -> None:
    """The late records a handler in time order meets: of each partition, only the first and
    the last step of a poll can be newer than another partition's next record."""
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    left = {partition: list(records) for partition, records in logs.items()}
    while any(left.values()):
        taken = poll_in_event_time(merge, left, limit, step)
        for partition, rest in left.items():
            for other, records in taken.items():
                if other != partition and rest:
                    newer = sum((t or 0) > (rest[0][1] or 0) for _, t in records)
                    assert newer <= 2 * step


def test_the_event_time_of_a_record_is_read_from_its_header() -> None:
    record = SimpleNamespace(headers=[("x", b"1"), ("infraledger-effective-at", b"1764400000000")])
    assert header_time(record) == 1764400000000
    assert header_time(SimpleNamespace(headers=[("infraledger-effective-at", b"soon")])) is None
    assert header_time(SimpleNamespace(headers=[])) is None
    assert header_time(SimpleNamespace(headers=None)) is None


def test_an_articles_event_time_is_its_publication_else_its_fetch_to_the_millisecond() -> None:
    article = ArticleV1(
        id="a" * 32, url="https://news.example.kr/a", source="example", lang="ko", title="t",
        published_at=datetime(2026, 2, 28, 23, 0, 0, 123456, tzinfo=UTC),
        fetched_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC), content_hash="0" * 64, text="본문",
    )  # fmt: skip
    assert effective_at_header(article) == {"infraledger-effective-at": "1772319600123"}
    unpublished = article.model_copy(update={"published_at": None})
    assert effective_at_header(unpublished) == {"infraledger-effective-at": "1772355600000"}
    a_second_before = datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)
    before_1970 = article.model_copy(update={"published_at": a_second_before})
    assert effective_at_header(before_1970) == {"infraledger-effective-at": "-1000"}
