"""The organisations file: built-in entries, users' additions merged over them without code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.extractor.extract import extract
from services.extractor.lexicon import (
    ORGANISATIONS_ENV,
    default_lexicon,
    load_lexicon,
    merge_organisations,
)


def test_merge_extends_name_lists_of_an_existing_organisation() -> None:
    base = [{"id": "kakao", "name": "Kakao", "names_ko": ["카카오"], "kind": "company"}]
    extra = [{"id": "kakao", "names_ko": ["카카오엔터프라이즈"], "sector": "private"}]
    assert merge_organisations(base, extra) == [
        {
            "id": "kakao",
            "name": "Kakao",
            "names_ko": ["카카오", "카카오엔터프라이즈"],
            "kind": "company",
            "sector": "private",
        }
    ]


def test_merge_adds_new_organisations_and_leaves_its_inputs_alone() -> None:
    base = [{"id": "kakao", "name": "Kakao"}]
    extra = [{"id": "firmus", "name": "Firmus", "aliases": ["Firmus"]}]
    merged = merge_organisations(base, extra)
    assert [entry["id"] for entry in merged] == ["kakao", "firmus"]
    assert base == [{"id": "kakao", "name": "Kakao"}]


@pytest.mark.parametrize(
    ("alias", "org_id"),
    [
        ("삼성전자", "samsung-electronics"),
        ("Samsung Electronics", "samsung-electronics"),
        ("Samsung", "samsung-electronics"),
        ("현대차그룹", "hyundai-motor-group"),
        ("현대자동차그룹", "hyundai-motor-group"),
        ("Hyundai Motor Group", "hyundai-motor-group"),
        ("정부", "kr-government"),
        ("과기정통부", "kr-government"),
        ("Korean government", "kr-government"),
        ("MSIT", "kr-government"),
        ("엔비디아", "nvidia"),
        ("SK하이닉스", "sk-hynix"),
        ("네이버클라우드", "naver-cloud"),
        ("한국", "korea"),
    ],
)
def test_builtin_aliases_in_both_scripts_resolve_to_stable_ids(alias: str, org_id: str) -> None:
    assert default_lexicon().org_aliases[alias][0] == org_id


def test_every_builtin_gpu_model_vendor_is_a_known_organisation() -> None:
    lexicon = default_lexicon()
    assert {t.vendor for t in lexicon.gpu_models.values()} <= set(lexicon.organisations)


def test_unknown_organisation_comes_out_with_its_mention() -> None:
    facts = extract("Firmus will deploy 10,000 GPUs in Tasmania.")
    assert [(f.subject.id, f.subject.name) for f in facts] == [("unknown:Firmus", "Firmus")]


def test_a_users_organisations_file_adds_names_without_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orgs.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organisations": [
                    {
                        "id": "firmus",
                        "name": "Firmus Technologies",
                        "names_ko": ["퍼머스"],
                        "aliases": ["Firmus"],
                        "country": "AU",
                        "kind": "cloud",
                    }
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(ORGANISATIONS_ENV, str(path))
    facts = extract("퍼머스는 GPU 1만 장을 도입한다.", lexicon=default_lexicon())
    assert [(f.subject.id, f.subject.name) for f in facts] == [("firmus", "Firmus Technologies")]
    assert default_lexicon() is load_lexicon(str(path))
