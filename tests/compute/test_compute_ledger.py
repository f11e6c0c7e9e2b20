"""The compute view of a real ledger (SQLite and PostgreSQL): the seed, as-of aggregation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from compute_helpers import Ledger, gpu_fact, news, seed_extractions

from services.compute.aggregate import aggregate
from services.compute.context import ComputeContext
from services.compute.render import aggregates_table
from services.compute.view import compute_items, cutoff

KOREA_TOTAL = "supply|nvidia|korea|gpu|-"
KOREA_PARTS = {
    "gpu_commitment|kr-government|nvidia|gpu|-",
    "gpu_commitment|samsung-electronics|nvidia|gpu|-",
    "gpu_commitment|hyundai-motor-group|nvidia|gpu|-",
}
H100_BF16 = 989.4
EXAMPLE = Path(__file__).resolve().parents[2] / "README.md"


def test_koreas_committed_compute_from_the_seed_counts_the_total_once(
    ledger: Ledger, compute: ComputeContext
) -> None:
    ledger.record(*seed_extractions())
    items = compute_items(ledger.versions(), compute.parties, compute.table)
    by_key = {item.key: item for item in items}
    total = by_key[KOREA_TOTAL]
    assert (total.owner.id, total.country, total.vendor, total.gpu_model) == (
        "korea", "KR", "nvidia", "GB200"
    )  # fmt: skip
    assert set(total.parts) == KOREA_PARTS
    assert {by_key[p].part_of for p in KOREA_PARTS} == {KOREA_TOTAL}
    assert by_key["gpu_commitment|samsung-electronics|nvidia|gpu|-"].sector == "private"
    assert by_key["gpu_commitment|kr-government|nvidia|gpu|-"].sector == "public"
    assert by_key["gpu_commitment|hyundai-motor-group|nvidia|gpu|-"].conversion.basis == "family"
    assert "investment|hyundai-motor-group|kr-government|USD|-" not in by_key  # money

    [korea] = [b for b in aggregate(items, "country") if b.value == "KR"]
    assert korea.commitments == (KOREA_TOTAL,)
    assert set(korea.parts_not_added) == KOREA_PARTS
    assert (korea.gpus.low, korea.gpus.high) == (260_000, 260_000)  # not 410,000
    assert korea.h100e.high == pytest.approx(260_000 * 2500 / H100_BF16)
    assert korea.bounds == ("up_to",)
    assert total.evidence_url == "https://news.example.kr/article/579068ff91aef37f"
    table = aggregates_table(aggregate(items, "country"), items, "country")
    assert table in EXAMPLE.read_text(encoding="utf-8"), "the README example is out of date"


def test_a_phase_is_never_added_to_its_whole_programme(
    ledger: Ledger, compute: ComputeContext
) -> None:
    phase = "gpu_commitment|xai|nvidia|gpu|phase one"
    ledger.record(
        news("xai-1", datetime(2025, 3, 1, tzinfo=UTC),
             gpu_fact(100_000, model="H100", subject="xai")),
        news("xai-2", datetime(2025, 4, 1, tzinfo=UTC),
             gpu_fact(20_000, model="H100", subject="xai", scope="phase one")),
        news("site", datetime(2025, 4, 2, tzinfo=UTC),
             gpu_fact(5_000, model="H100", subject="meta", scope="Texas")),
        news("site-2", datetime(2025, 4, 3, tzinfo=UTC),
             gpu_fact(7_000, model="H100", subject="meta", scope="Ohio")),
    )  # fmt: skip
    items = compute_items(ledger.versions(), compute.parties, compute.table)
    by_key = {item.key: item for item in items}
    assert by_key[phase].part_of == "gpu_commitment|xai|nvidia|gpu|-"

    [us] = aggregate(items, "country")
    assert us.gpus.high == 100_000 + 5_000 + 7_000  # not the phase; sites without a whole: both
    assert us.parts_not_added == (phase,)


def test_a_phase_of_a_share_of_a_countrys_total_is_not_added_either(
    ledger: Ledger, compute: ComputeContext
) -> None:
    phase = gpu_fact(10_000, model="B200", scope="phase one")
    ledger.record(*seed_extractions(), news("phase", datetime(2025, 11, 5, tzinfo=UTC), phase))
    items = compute_items(ledger.versions(), compute.parties, compute.table)

    [korea] = [b for b in aggregate(items, "country") if b.value == "KR"]
    assert (korea.gpus.low, korea.gpus.high) == (260_000, 260_000)  # not 270,000
    assert "gpu_commitment|samsung-electronics|nvidia|gpu|phase one" in korea.parts_not_added


def test_aggregates_as_of_a_date_before_and_after_a_change(
    ledger: Ledger, compute: ComputeContext
) -> None:
    ledger.record(
        news("xai-1", datetime(2025, 3, 1, tzinfo=UTC),
             gpu_fact(100_000, model="H100", subject="xai")),
        news("samsung-1", datetime(2025, 10, 30, tzinfo=UTC), gpu_fact(50_000, model="B200")),
        news("samsung-2", datetime(2026, 2, 1, tzinfo=UTC), gpu_fact(80_000, model="B200")),
        news("openai-1", datetime(2026, 3, 1, tzinfo=UTC),
             gpu_fact(1, unit="GW", subject="openai", counterparty=None)),
    )  # fmt: skip
    versions = ledger.versions()

    def by_country(day: date) -> dict[str, float]:
        items = compute_items(versions, compute.parties, compute.table, cutoff(day))
        return {b.value: b.gpus.high for b in aggregate(items, "country")}

    assert by_country(date(2025, 1, 1)) == {}
    assert by_country(date(2025, 10, 30)) == {"US": 100_000, "KR": 50_000}
    assert by_country(date(2026, 2, 1)) == {"US": 100_000, "KR": 80_000}

    later = compute_items(versions, compute.parties, compute.table, cutoff(date(2026, 12, 31)))
    [samsung] = [i for i in later if i.subject.id == "samsung-electronics"]
    assert samsung.kind == "increased"
    by_vendor = {b.value: b for b in aggregate(later, "vendor")}
    assert by_vendor["nvidia"].h100e.high == pytest.approx(100_000 + 80_000 * 2250 / H100_BF16)
    assert by_vendor["unknown"].commitments == ("gpu_commitment|openai|-|power|-",)
    [us] = [b for b in aggregate(later, "country") if b.value == "US"]
    openai = "gpu_commitment|openai|-|power|-"
    assert openai in us.estimated and us.h100e.low < us.h100e.high  # a range from power
    by_sector = {b.value for b in aggregate(later, "sector")}
    assert by_sector == {"private"}


def test_an_unknown_organisation_is_unknown_and_a_cancelled_order_counts_nothing(
    ledger: Ledger, compute: ComputeContext
) -> None:
    ledger.record(
        news("startup", datetime(2025, 5, 1, tzinfo=UTC),
             gpu_fact(2_000, model="H200", subject="unknown:Acme AI")),
        news("order", datetime(2025, 5, 2, tzinfo=UTC), gpu_fact(10_000, model="H100")),
        news("cancel", datetime(2025, 6, 1, tzinfo=UTC),
             gpu_fact(10_000, model="H100", status="cancelled")),
    )  # fmt: skip
    versions = ledger.versions()
    items = compute_items(versions, compute.parties, compute.table)
    [acme] = [i for i in items if i.subject.id == "unknown:Acme AI"]
    assert (acme.country, acme.sector, acme.vendor) == ("unknown", "unknown", "nvidia")

    def korea(day: date) -> list[float]:
        found = compute_items(versions, compute.parties, compute.table, cutoff(day))
        return [b.h100e.high for b in aggregate(found, "country") if b.value == "KR"]

    assert korea(date(2025, 5, 31)) == [10_000]
    assert korea(date(2025, 6, 1)) == []  # retracted: no longer committed
