"""A poll in event time takes its next records from the partition furthest behind (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from services.core.models import ArticleV1
from services.core.polling import EventTimeMerge, effective_at_header, header_time

Record = tuple[str, int | None]


def stamp(record: Record) -> int | None:
    return record[1]


def merged(logs: dict[str, list[Record]], limit: int, step: int) -> EventTimeMerge[str, Record]:
    """One poll of ``limit`` records over ``logs`` (each partition's records, in order), as the
    consumer loop takes it: ``step`` records at a time from the partition furthest behind."""
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    left = {partition: list(records) for partition, records in logs.items()}
    open_ = sorted(partition for partition, records in left.items() if records)
    while merge.total < limit:
        partition = merge.furthest_behind(open_)
        if partition is None:
            break
        taken = left[partition][: min(step, limit - merge.total)]
        del left[partition][: len(taken)]
        merge.add(partition, taken)
        if not left[partition]:
            open_.remove(partition)
    return merge


def test_a_partition_not_taken_from_yet_goes_first() -> None:
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    merge.add("a", [("a0", 50)])
    assert merge.furthest_behind(["a", "b"]) == "b"


def test_then_the_partition_whose_newest_record_is_earliest() -> None:
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    merge.add("a", [("a0", 10), ("a1", 40)])
    merge.add("b", [("b0", 30)])
    merge.add("c", [("c0", 35), ("c1", 5)])  # its newest is 35, whatever the order
    assert merge.furthest_behind(["a", "b", "c"]) == "b"
    assert merge.furthest_behind(["a", "c"]) == "c"
    assert merge.furthest_behind([]) is None
    assert merge.reached == {"a": 40, "b": 30, "c": 35} and merge.total == 5


def test_records_without_an_event_time_share_out_equally_before_the_rest() -> None:
    merge: EventTimeMerge[str, Record] = EventTimeMerge(stamp)
    merge.add("a", [("a0", None), ("a1", None)])
    merge.add("b", [("b0", None)])
    merge.add("c", [("c0", 1)])
    assert merge.furthest_behind(["a", "b", "c"]) == "b"  # fewer records, no event time
    merge.add("b", [("b1", None), ("b2", None)])
    assert merge.furthest_behind(["a", "b", "c"]) == "a"
    assert merge.furthest_behind(["c"]) == "c"


def test_a_partition_with_twice_the_news_per_hour_gives_twice_the_records() -> None:
    """Equal shares would take partition b ahead of a by half the poll's span."""
    logs: dict[str, list[Record]] = {
        "a": [(f"a{t}", t) for t in range(100)],
        "b": [(f"b{t}", t) for t in range(0, 200, 2)],
    }
    merge = merged(logs, limit=60, step=4)
    assert len(merge.polled["a"]) == 40 and len(merge.polled["b"]) == 20
    assert abs(merge.reached["a"] - merge.reached["b"]) <= 8


def test_a_lone_partition_fills_the_whole_poll() -> None:
    merge = merged({"a": [(f"a{t}", t) for t in range(50)], "b": []}, limit=30, step=4)
    assert list(merge.polled) == ["a"] and merge.total == 30


def logs_in_time_order() -> st.SearchStrategy[dict[str, list[Record]]]:
    def records(times: list[int]) -> list[Record]:
        return [(str(i), t) for i, t in enumerate(sorted(times))]

    return st.dictionaries(
        st.sampled_from("abcdef"), st.lists(st.integers(0, 1000), max_size=40).map(records),
        max_size=6,
    )  # fmt: skip


@given(logs_in_time_order(), st.integers(1, 120), st.integers(1, 8))
def test_a_poll_takes_each_partitions_next_records_in_order_and_no_more_than_asked(
    logs: dict[str, list[Record]], limit: int, step: int
) -> None:
    merge = merged(logs, limit, step)
    for partition, records in merge.polled.items():
        assert records == logs[partition][: len(records)]
    assert merge.total == min(limit, sum(map(len, logs.values())))


@given(logs_in_time_order(), st.integers(1, 120), st.integers(1, 8))
def test_what_a_poll_leaves_for_later_is_older_than_at_most_a_step_of_any_other_partition(
    logs: dict[str, list[Record]], limit: int, step: int
) -> None:
    """The late records a handler in time order meets: of each partition, only the records of
    its last step can be newer than another partition's next record."""
    merge = merged(logs, limit, step)
    for partition, records in logs.items():
        rest = records[len(merge.polled.get(partition, ())) :]
        if not rest:
            continue
        for other, taken in merge.polled.items():
            if other != partition:
                assert sum(t is not None and t > (rest[0][1] or 0) for _, t in taken) <= step


def test_the_event_time_of_a_record_is_read_from_its_header() -> None:
    event_time = header_time()
    record = SimpleNamespace(headers=[("x", b"1"), ("infraledger-effective-at", b"1764400000000")])
    assert event_time(record) == 1764400000000
    assert event_time(SimpleNamespace(headers=[("infraledger-effective-at", b"soon")])) is None
    assert event_time(SimpleNamespace(headers=[])) is None
    assert event_time(SimpleNamespace(headers=None)) is None


def test_an_articles_event_time_is_its_publication_else_its_fetch() -> None:
    fetched = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    article = ArticleV1(
        id="a" * 32, url="https://news.example.kr/a", source="example", lang="ko", title="t",
        published_at=datetime(2026, 2, 28, 23, 0, tzinfo=UTC), fetched_at=fetched,
        content_hash="0" * 64, text="본문",
    )  # fmt: skip
    header = effective_at_header(article)
    assert header == {"infraledger-effective-at": "1772319600000"}
    unpublished = article.model_copy(update={"published_at": None})
    assert effective_at_header(unpublished) == {"infraledger-effective-at": "1772355600000"}
