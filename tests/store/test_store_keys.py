"""Commitment keys: the same commitment in any language lands on one key; others never merge."""

from __future__ import annotations

from services.store.keys import attach, product_line

from .builders import fact


def test_same_commitment_in_korean_and_english_shares_a_key() -> None:
    korean = attach(fact(50_000, mention="삼성전자"))
    english = attach(fact(50_000, mention="Samsung", qualifier="at_least"))
    assert korean.key == english.key
    assert korean.key.text == "gpu_commitment|samsung-electronics|nvidia|gpu|-"


def test_a_different_scope_is_a_different_commitment() -> None:
    whole = attach(fact(260_000))
    phase_one = attach(fact(50_000, scope="  Phase   One "))
    assert whole.key != phase_one.key
    assert phase_one.key.scope == "phase one"
    assert "scope 'phase one'" in phase_one.reason
    assert "no scope" in whole.reason


def test_reason_names_the_parties_as_written() -> None:
    reason = attach(fact(mention="Samsung")).reason
    assert "samsung-electronics (written 'Samsung')" in reason
    assert "nvidia (written '엔비디아')" in reason
    assert "a GPU count" in reason


def test_investments_are_keyed_by_currency() -> None:
    usd = attach(fact(3e9, type="investment", unit="USD"))
    krw = attach(fact(4e12, type="investment", unit="KRW"))
    vague = attach(fact(type="investment", quantity=False))
    assert (usd.key.what, krw.key.what, vague.key.what) == ("USD", "KRW", "unspecified")


def test_supply_is_keyed_by_product_line() -> None:
    memory = attach(fact(type="supply", quantity=False, products=("HBM3E", "HBM4", "GDDR7")))
    hbm_only = attach(fact(type="supply", quantity=False, products=("HBM4",)))
    gpus = attach(
        fact(260_000, type="supply", subject="nvidia", counterparty="korea", products=("GB200",))
    )
    assert memory.key.what == "GDDR+HBM"
    assert hbm_only.key.what == "HBM"
    assert gpus.key.what == "gpu"


def test_product_lines_drop_the_generation() -> None:
    assert [product_line(p) for p in ("HBM3E", "HBM4", "SOCAMM2", "foundry  services")] == [
        "HBM",
        "HBM",
        "SOCAMM",
        "FOUNDRY SERVICES",
    ]


def test_partnerships_and_power_have_their_own_what() -> None:
    assert attach(fact(type="partnership", quantity=False)).key.what == "partnership"
    assert attach(fact(1, unit="GW")).key.what == "power"
    assert attach(fact(type="supply", quantity=False, gpu_model="GB200")).key.what == "gpu"
    assert attach(fact(type="supply", quantity=False)).key.what == "unspecified"
    assert (
        attach(fact(type="partnership", quantity=False, counterparty=None)).key.counterparty is None
    )
