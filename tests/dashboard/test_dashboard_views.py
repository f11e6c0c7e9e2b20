"""The view models: what each row, total, timeline point and feed item says, without a browser."""

from __future__ import annotations

from services.core.models import Delta, OrgRef, Quantity
from services.dashboard import pages, views
from services.store.queries import Claim, Part, Totals

from .builders import (
    KEY,
    KOREAN,
    NVIDIA,
    SAMSUNG,
    change_of,
    commitment,
    gpus,
    proof,
    version,
    when,
)

RAISED = "삼성전자는 엔비디아 GPU 도입 규모를 6만개로 늘리기로 했다."


def test_a_row_shows_both_names_the_value_in_words_and_the_last_change() -> None:
    row = views.row(commitment(gpus(50_000, "5만개 이상", "at_least"), sources=["a", "b"],
                               corroboration=2), KOREAN)  # fmt: skip
    assert (row.subject.name, row.subject.name_ko) == ("Samsung Electronics", "삼성전자")
    assert (row.counterparty and row.counterparty.name_ko) == "엔비디아"
    assert (row.value, row.value_as_written) == ("at least 50,000 GPUs", "5만개 이상")
    assert (row.type_label, row.last_kind, row.last_date, row.sources) == (
        "GPU commitment", "new", "2025-11-01", 2,
    )  # fmt: skip
    assert row.url == "/timeline?key=gpu_commitment%7Csamsung-electronics%7Cnvidia%7Cgpu%7C-"


def test_quantities_read_as_words_and_vague_ones_as_written() -> None:
    said = {
        "up to 260,000 GPUs": Quantity(
            value=260_000, unit="gpu", qualifier="up_to", text="최대 26만"
        ),
        "about 3,000,000,000 USD": Quantity(
            value=3e9, unit="USD", qualifier="about", text="약 30억"
        ),
        "수만 개": Quantity(value=None, unit="gpu", qualifier="exact", text="수만 개"),
    }
    assert {views.quantity(q): words for words, q in said.items()} == {w: w for w in said}


def test_the_number_is_marked_in_its_sentence_as_written_or_by_its_digits() -> None:
    six = Quantity(value=60_000, unit="gpu", qualifier="exact", text="6만개")
    assert views.highlight(RAISED, six) == views.Sentence(
        "삼성전자는 엔비디아 GPU 도입 규모를 ", "6만개", "로 늘리기로 했다."
    )
    spaced = Quantity(value=60_000, unit="gpu", qualifier="exact", text="6만 개")
    assert views.highlight(RAISED, spaced).mark == "6"
    assert views.highlight("No figure here.", six) == views.Sentence("No figure here.", "", "")


def test_filters_admit_rows_by_either_party_type_and_last_change() -> None:
    row = views.row(commitment(gpus(60_000, "6만개"), kind="increased"), KOREAN)
    assert views.Filters(org="nvidia").admits(row) and views.Filters(org=SAMSUNG.id).admits(row)
    assert not views.Filters(org="sk-hynix").admits(row)
    assert views.Filters(type="gpu_commitment", kind="increased").admits(row)
    assert not views.Filters(kind="new").admits(row)
    assert not views.Filters(type="supply").admits(row)


def test_totals_show_their_parts_and_the_unallocated_remainder() -> None:
    korea = OrgRef(id="korea", name="South Korea")
    found = Totals(key="supply|nvidia|korea|gpu|-", subject=NVIDIA, counterparty=korea, unit="gpu",
                   total=260_000, allocated=150_000, unallocated=110_000,
                   parts=[Part(key=KEY, subject=SAMSUNG, value=50_000)])  # fmt: skip
    shown = views.total(found, {**KOREAN, "korea": "한국"})
    assert (shown.total, shown.allocated, shown.unallocated) == (
        "260,000 GPUs", "150,000 GPUs", "110,000 GPUs",
    )  # fmt: skip
    assert shown.counterparty.name_ko == "한국" and not shown.over_allocated
    assert shown.parts[0].value == "50,000 GPUs"
    assert round(shown.parts[0].share, 3) == round(50_000 / 260_000, 3)
    over = views.total(found.model_copy(update={"allocated": 300_000, "unallocated": -40_000}), {})
    assert over.over_allocated and over.unallocated == "40,000 GPUs" and over.unallocated_share == 0


def test_the_ledger_keeps_every_row_and_shows_the_filtered_ones() -> None:
    rows = [commitment(gpus(50_000, "5만개")), commitment(gpus(1, "1"), key="other", type="supply")]
    ledger = views.ledger(rows, [], KOREAN, views.Filters(type="supply"))
    assert [r.key for r in ledger.rows] == [KEY, "other"]
    assert [r.key for r in ledger.shown] == ["other"]
    assert [o.id for o in ledger.organisations] == ["nvidia", "samsung-electronics"]


def test_a_timeline_has_one_point_per_version_with_its_evidence_and_marks_conflicts() -> None:
    first = version(1, "new", gpus(50_000, "5만개 이상", "at_least"), "5만개 이상 도입", at=when(1))
    raised = version(2, "increased", gpus(60_000, "6만개"), RAISED, at=when(20),
                     before=first.after, delta=Delta(absolute=10_000, relative=0.2))  # fmt: skip
    disputed = Claim(quantity=Quantity(value=70_000, unit="gpu", qualifier="exact", text="7만개"),
                     sources=["other-news"], asserted_at=when(21))  # fmt: skip
    conflict = version(3, "conflict", gpus(70_000, "7만개"), "7만개라는 보도도", at=when(21),
                       disputed=(disputed,))  # fmt: skip
    [timeline] = views.timelines([commitment(gpus(70_000, "7만개"))], [conflict, first, raised],
                                 KOREAN)  # fmt: skip
    assert [p.kind for p in timeline.points] == ["new", "increased", "conflict"]
    assert [p.value for p in timeline.points] == [50_000, 60_000, 70_000]
    new, up, clash = timeline.points
    assert (up.label, up.delta, up.before) == ("60,000 GPUs", "+10,000 (+20.0%)",
                                               "at least 50,000 GPUs · announced")  # fmt: skip
    assert (up.evidence.title, up.evidence.source, up.evidence.published) == (
        "삼성, GPU 확대", "example-news", "2025-11-20",
    )  # fmt: skip
    assert up.evidence.sentence.mark == "6만개"
    assert not new.marked and clash.marked
    assert clash.claims == (views.Claim("70,000 GPUs (other-news)", 70_000),)
    assert len({p.anchor for p in timeline.points}) == 3


def test_a_feed_item_says_before_after_delta_and_evidence() -> None:
    raised = version(2, "increased", gpus(60_000, "6만개"), RAISED, at=when(20),
                     before=gpus(50_000, "5만개 이상", "at_least"),
                     delta=Delta(absolute=10_000, relative=0.2))  # fmt: skip
    item = views.change(change_of(raised), KOREAN)
    assert (item.kind, item.effective, item.subject.name_ko) == (
        "increased",
        "2025-11-20",
        "삼성전자",
    )
    assert (item.before, item.after, item.delta) == (
        "at least 50,000 GPUs · announced", "60,000 GPUs · announced", "+10,000 (+20.0%)",
    )  # fmt: skip
    assert item.evidence.sentence.mark == "6만개" and item.url.startswith("/timeline?key=")


def test_a_withdrawal_says_what_was_reported_and_marks_it_in_the_sentence_read_so() -> None:
    raised = version(2, "increased", gpus(60_000, "6만개"), RAISED, at=when(20),
                     before=gpus(50_000, "5만개 이상", "at_least"),
                     delta=Delta(absolute=10_000, relative=0.2))  # fmt: skip
    gone = change_of(raised).model_copy(
        update={"kind": "withdrawn", "before": raised.after, "after": None, "delta": None}
    )
    item = views.change(gone, KOREAN)
    assert (item.kind, item.before, item.after, item.delta) == (
        "withdrawn", "60,000 GPUs · announced", "—", ""
    )  # fmt: skip
    assert item.evidence.sentence.mark == "6만개"
    assert item.left and item.url == ""  # no timeline to link to: the commitment left
    shown = pages.feed_item(item)
    assert "left the ledger" in shown and "/timeline?key=" not in shown
    assert not views.change(change_of(raised), KOREAN).left


def test_only_web_addresses_become_evidence_links() -> None:
    hostile = proof(RAISED).model_copy(update={"url": "javascript:alert(1)", "title": ""})
    shown = views.evidence(hostile, when(20), None)
    assert shown.url == "" and shown.title == "javascript:alert(1)"
    assert views.evidence(proof(RAISED), when(20), None).url.startswith("https://")
