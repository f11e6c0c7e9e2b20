"""Several figures in one sentence: each has its own seller and its own status — the ones its
clause gives it, else its list's — never the sentence's first."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract


def _read(text: str) -> list[tuple[float | None, str | None, str]]:
    return [
        (f.quantity.value if f.quantity else None, f.counterparty.id if f.counterparty else None,
         f.status)
        for f in extract(text)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "read"),
    [
        pytest.param(
            "Microsoft will buy 100,000 GPUs from Nvidia and 50,000 GPUs from AMD.",
            [(100_000, "nvidia", "announced"), (50_000, "amd", "announced")],
            id="each figure's own 'from'",
        ),
        pytest.param(
            "Meta will buy 20,000 MI355X chips from AMD and 30,000 B200s.",
            [(20_000, "amd", "announced"), (30_000, "nvidia", "announced")],
            id="never another chip maker than the model's",
        ),
        pytest.param(
            "Meta will buy 10,000 B200s and 5,000 H200s from Supermicro.",
            [(10_000, "supermicro", "announced"), (5_000, "supermicro", "announced")],
            id="a list's seller",
        ),
        pytest.param(
            "Nvidia will supply 10,000 GPUs to Naver and 5,000 GPUs to Kakao.",
            [(10_000, "naver", "announced"), (5_000, "kakao", "announced")],
            id="each figure's own recipient",
        ),
        pytest.param(
            "메타는 AMD로부터 MI355X 2만 장을, 엔비디아로부터 B200 3만 장을 구매한다.",
            [(20_000, "amd", "announced"), (30_000, "nvidia", "announced")],
            id="Korean sellers by model",
        ),
    ],
)
def test_each_figure_has_its_own_seller(
    text: str, read: list[tuple[float, str, str]]
) -> None:
    assert _read(text) == read


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        pytest.param(
            "Meta cancelled its order for 10,000 H100s but will buy 20,000 B200s from Nvidia.",
            ["cancelled", "announced"],
            id="a contrast ends the cancellation",
        ),
        pytest.param(
            "Microsoft completed the installation of 10,000 H100s and plans to buy 50,000 B200s.",
            ["completed", "planned"],
            id="each clause its own status",
        ),
        pytest.param(
            "Microsoft plans to buy 100,000 B200s and 50,000 H200s.",
            ["planned", "planned"],
            id="a list shares its status",
        ),
        pytest.param(
            "Microsoft plans to buy 10,000 H100s and deploy 20,000 B200s.",
            ["planned", "planned"],
            id="two verbs of one plan",
        ),
        pytest.param(
            "카카오는 H100 1만 장의 도입을 완료했고, B200 2만 장을 도입할 계획이다.",
            ["completed", "planned"],
            id="Korean: each clause its own status",
        ),
        pytest.param(
            "카카오는 10만 장의 B200과 5만 장의 H200을 도입할 계획이다.",
            ["planned", "planned"],
            id="Korean: a list shares the verb that ends it",
        ),
        pytest.param(
            "카카오는 H100 1만 장은 취소했지만 B200 2만 장은 도입한다.",
            ["cancelled", "announced"],
            id="Korean: a contrast ends the cancellation",
        ),
        pytest.param(
            "Microsoft's orders of 10,000 H100s and 20,000 B200s were cancelled.",
            ["cancelled", "cancelled"],
            id="a status after the list is the sentence's",
        ),
    ],
)
def test_each_figure_has_its_clauses_status(text: str, statuses: list[str]) -> None:
    assert [status for _, _, status in _read(text)] == statuses
