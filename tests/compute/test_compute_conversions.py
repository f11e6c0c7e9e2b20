"""The accelerator table and the conversions: counts, families, capacities, unknown models."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.compute.accelerators import DATA_FILE, load_accelerators, parse_table
from services.compute.convert import Range, convert
from services.core.errors import ConfigError
from services.core.models import Quantity
from services.extractor.lexicon import DATA_DIR

TABLE = load_accelerators()
H100_BF16 = 989.4


def gpus(value: float | None, qualifier: str = "exact", text: str = "") -> Quantity:
    return Quantity(value=value, unit="gpu", qualifier=qualifier, text=text or f"{value} GPUs")


def near(value: Range | None, low: float, high: float | None = None) -> bool:
    """``value`` is the range low–high (a single figure when ``high`` is omitted), to rounding."""
    expected = (low, low if high is None else high)
    return value is not None and (value.low, value.high) == pytest.approx(expected)


def power(value: float, unit: str = "MW") -> Quantity:
    return Quantity(value=value, unit=unit, qualifier="exact", text=f"{value} {unit}")


def test_the_table_covers_the_required_chips_and_families_with_sourced_figures() -> None:
    required = {
        "A100", "H100", "H200", "H20", "B200", "B300", "GB200", "GB300", "RTX PRO 6000",
        "Hopper", "Blackwell", "Grace Blackwell", "Rubin", "MI300X", "MI325X", "MI355X",
        "TPU v5p", "TPU v6e",
    }  # fmt: skip
    assert {name for name in required if TABLE.resolve(name) is None} == set()
    raw = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    for entry in raw["accelerators"]:
        for figure in ("bf16_tflops", "memory_gb", "tdp_w"):
            assert figure in entry, f"{entry['name']} must state {figure} (null when unpublished)"
            if entry[figure] is not None:
                assert entry[figure]["source"], f"{entry['name']}.{figure} needs a source"


def test_every_chip_the_extractor_names_canonically_with_figures_uses_the_same_name() -> None:
    extractor_names = {
        m["name"] for m in yaml.safe_load((DATA_DIR / "gpu_models.yaml").read_text())["gpu_models"]
    }
    table_names = set(TABLE.accelerators) | set(TABLE.families)
    # the table's own entries either are extractor names or stand for one (a representative)
    assert table_names - extractor_names <= {"Grace Blackwell", "VR200"}
    assert {"GB200", "Blackwell", "H100", "Hopper", "Vera Rubin", "Rubin"} <= table_names


def test_the_korean_seed_figure_260000_gb200_is_657_thousand_h100_equivalents() -> None:
    result = convert(gpus(260_000, "up_to", "최대 26만개"), "GB200", TABLE)
    assert result.basis == "model" and result.chip == "GB200"
    assert result.gpus == Range(260_000, 260_000)
    assert near(result.h100e, 260_000 * 2500 / H100_BF16)
    assert result.h100e is not None and round(result.h100e.low) == 656_964
    assert near(result.bf16_flops, 6.5e20)
    # IT power: 260,000 x 1,200 W x 1.4-1.8 server overhead
    assert near(result.it_power_mw, 436.8, 561.6)
    assert any("upper bound" in flag and "최대 26만개" in flag for flag in result.flags)
    assert any("PUE excluded" in flag for flag in result.flags)


def test_a_family_only_mention_uses_the_representative_chip_and_says_it_assumed_so() -> None:
    result = convert(gpus(50_000), "Blackwell", TABLE)
    assert (result.basis, result.chip) == ("family", "B200")
    assert near(result.h100e, 50_000 * 2250 / H100_BF16)
    assert any(
        "assumption" in flag and "'Blackwell'" in flag and "B200" in flag for flag in result.flags
    )


def test_a_capacity_in_gigawatts_without_a_model_becomes_a_flagged_gpu_count_range() -> None:
    result = convert(power(1, "GW"), None, TABLE)
    assert result.basis == "power" and result.chip is None
    assert result.it_power_mw == Range(1000, 1000)
    assert result.gpus is not None and result.h100e is not None
    # the fewest GPUs: the hungriest current chip (1,400 W) at the highest overhead (1.8)
    assert result.gpus.low == pytest.approx(1e9 / (1400 * 1.8))
    # the most GPUs: the most frugal current chip (700 W) at the lowest overhead (1.4)
    assert result.gpus.high == pytest.approx(1e9 / (700 * 1.4))
    assert 0 < result.h100e.low < result.h100e.high
    assert any("estimate: GPU count from power" in flag for flag in result.flags)
    assert any("not stated" in flag and "current generations" in flag for flag in result.flags)


def test_a_capacity_naming_a_chip_is_estimated_with_that_chip_alone() -> None:
    result = convert(power(100), "H100", TABLE)
    assert result.basis == "power" and result.chip == "H100"
    assert near(result.gpus, 1e8 / (700 * 1.8), 1e8 / (700 * 1.4))
    assert result.h100e == result.gpus  # an H100 is one H100-equivalent


def test_an_unknown_model_is_not_converted_and_the_flags_say_why() -> None:
    result = convert(gpus(100_000), "Trainium", TABLE)
    assert result.basis == "none"
    assert (result.h100e, result.bf16_flops, result.it_power_mw) == (None, None, None)
    assert result.gpus == Range(100_000, 100_000)
    assert any("no figures for 'Trainium'" in flag for flag in result.flags)


def test_a_count_without_a_model_or_a_vague_count_is_not_converted() -> None:
    unnamed = convert(gpus(50_000), None, TABLE)
    assert unnamed.h100e is None and "GPU model not stated: no conversion" in unnamed.flags
    vague = convert(gpus(None, "about", "수만 개"), "H100", TABLE)
    assert vague.basis == "none" and vague.gpus is None
    assert vague.flags == ("no number stated: nothing to convert",)


def test_a_chip_without_a_published_figure_converts_only_what_is_published() -> None:
    tpu = convert(gpus(1000), "TPU v6e", TABLE)
    assert near(tpu.h100e, 1000 * 918 / H100_BF16)
    assert tpu.it_power_mw is None
    assert any("no power figure for TPU v6e" in flag for flag in tpu.flags)
    rubin = convert(gpus(1000), "Rubin", TABLE)
    assert rubin.basis == "family" and rubin.h100e is None
    assert any("no dense BF16 figure" in flag for flag in rubin.flags)


def test_money_is_not_compute() -> None:
    usd = Quantity(value=3e9, unit="USD", qualifier="about", text="약 30억 달러")
    assert convert(usd, None, TABLE).basis == "none"


def test_users_extend_and_correct_the_table_with_their_own_file(tmp_path: Path) -> None:
    extra = tmp_path / "accelerators.yaml"
    extra.write_text(
        "accelerators:\n"
        "  - name: Trainium\n"
        "    vendor: amazon\n"
        "    bf16_tflops: {value: 667, source: AWS Trainium2 page, approximate: true}\n"
        "    memory_gb: {value: 96, source: AWS Trainium2 page}\n"
        "    tdp_w: null\n"
        "  - name: H100\n"
        "    vendor: nvidia\n"
        "    bf16_tflops: {value: 989.4, source: NVIDIA H100 datasheet}\n"
        "    memory_gb: {value: 80, source: NVIDIA H100 datasheet}\n"
        "    tdp_w: {value: 650, source: a site's measured draw}\n",
        encoding="utf-8",
    )
    table = load_accelerators(str(extra))
    trainium = convert(gpus(1000), "Trainium", table)
    assert trainium.basis == "model" and trainium.h100e is not None
    assert any("approximate figure: bf16_tflops of Trainium" in f for f in trainium.flags)
    h100 = table.accelerators["H100"].tdp_w
    assert h100 is not None and h100.value == 650
    assert "GB200" in table.accelerators  # the built-in entries stay


def test_a_figure_without_a_source_is_refused() -> None:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    data["accelerators"][0]["tdp_w"] = {"value": 400}
    with pytest.raises(ConfigError, match="source"):
        parse_table(data)
