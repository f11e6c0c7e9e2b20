"""`infraledger up --once` as a new user runs it: it starts its own Apache Kafka, replays the
seeds, prints the ledger with its evidence and exits 0; a second run adds nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEADLINE_EVIDENCE = (
    "가장 눈에 띄는 부분은 한국에 최대 26만개에 달하는 GPU를 우선 배치한다는 점이다."
)


def up_once(workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFRALEDGER_")}
    env["INFRALEDGER_LOG_FORMAT"] = "json"
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "up", "--once"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_up_once_prints_the_seed_ledger_with_evidence_and_a_second_run_adds_nothing(
    tmp_path: Path,
) -> None:
    (tmp_path / "seeds").symlink_to(REPO / "seeds")

    first = up_once(tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    second = up_once(tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]

    ledger = first.stdout
    assert "≤260,000 gpu · GB200" in ledger
    assert HEADLINE_EVIDENCE in ledger
    for line in ("Korean government", "Samsung Electronics", "Hyundai Motor Group"):
        assert line in ledger
    assert "우선 정부는 공공 부문에 최대 5만개 GPU를 배치해" in ledger
    assert "total ≤260,000 gpu, parts ~150,000, unallocated ~110,000" in ledger
    assert second.stdout == first.stdout
    assert (tmp_path / "var" / "infraledger.db").exists()
    assert (tmp_path / "var" / "kafka" / "node1" / "data" / "meta.properties").exists()
