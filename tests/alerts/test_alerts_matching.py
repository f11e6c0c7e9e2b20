"""Which subscriptions receive a change, and what they receive (pure)."""

from __future__ import annotations

import json

import pytest
from alerts_helpers import make_change

from services.alerts.errors import InvalidSubscription
from services.alerts.matching import ALL_KINDS, DEFAULT_KINDS, make_filter, matches
from services.alerts.payload import change_body, webhook_id
from services.core.models import Delta, OrgRef


def test_without_kinds_a_subscription_gets_every_kind_but_reaffirmed() -> None:
    rule = make_filter()
    assert rule.kinds == DEFAULT_KINDS == ALL_KINDS - {"reaffirmed"}
    for kind in sorted(ALL_KINDS):
        assert matches(rule, make_change(kind=kind)) == (kind != "reaffirmed")


def test_kinds_restrict_and_may_opt_into_reaffirmed() -> None:
    rule = make_filter(["decreased", " Retracted "])
    assert matches(rule, make_change(kind="decreased"))
    assert matches(rule, make_change(kind="retracted"))
    assert not matches(rule, make_change(kind="increased"))
    assert matches(make_filter(["reaffirmed"]), make_change(kind="reaffirmed"))


def test_unknown_kinds_and_negative_thresholds_are_refused() -> None:
    with pytest.raises(InvalidSubscription, match="grew"):
        make_filter(["grew"])
    with pytest.raises(InvalidSubscription):
        make_filter(min_delta_pct=-1)


@pytest.mark.parametrize("org", ["nvidia", "NVIDIA", "samsung", "samsung electronics"])
def test_orgs_match_subject_or_counterparty_by_id_or_name_case_insensitively(org: str) -> None:
    assert matches(make_filter(orgs=[org]), make_change())


def test_orgs_that_are_not_party_to_the_change_do_not_match() -> None:
    assert not matches(make_filter(orgs=["sk-hynix", "AMD"]), make_change())
    alone = make_change(counterparty=None, subject=OrgRef(id="amd", name="AMD"))
    assert matches(make_filter(orgs=["nvidia", "amd"]), alone)
    assert not matches(make_filter(orgs=["samsung"]), alone)


def test_min_delta_pct_filters_on_the_absolute_relative_delta() -> None:
    rule = make_filter(min_delta_pct=20)
    assert matches(rule, make_change(delta=Delta(absolute=10000, relative=0.2)))
    assert matches(rule, make_change(kind="decreased", delta=Delta(absolute=-30, relative=-0.3)))
    assert not matches(rule, make_change(delta=Delta(absolute=1000, relative=0.02)))


def test_min_delta_pct_lets_changes_without_a_relative_delta_through() -> None:
    rule = make_filter(min_delta_pct=50)
    assert matches(rule, make_change(kind="new", before=None, delta=None))
    assert matches(rule, make_change(delta=Delta(absolute=5, relative=None)))
    assert matches(rule, make_change(kind="withdrawn", after=None, delta=None))


def test_only_a_withdrawal_may_leave_no_state_after_it() -> None:
    assert make_change(kind="withdrawn", after=None).after is None
    with pytest.raises(ValueError, match="a new change needs the state after it"):
        make_change(kind="new", before=None, after=None)


def test_changes_marked_not_to_notify_reach_nobody() -> None:
    assert not matches(make_filter(), make_change(notify=False, replay_id="r1"))
    assert matches(make_filter(), make_change(notify=True, replay_id="r1"))


def test_webhook_ids_are_stable_per_event_and_endpoint() -> None:
    change = make_change()
    assert webhook_id(change.id, "ep_1") == webhook_id(change.id, "ep_1")
    assert webhook_id(change.id, "ep_1") != webhook_id(change.id, "ep_2")
    assert webhook_id(change.id, "ep_1").startswith("msg_")


def test_the_body_is_the_change_event_with_subscription_metadata_in_compact_json() -> None:
    change = make_change()
    body = change_body(change, "ep_1")
    document = json.loads(body)
    assert document == {
        "type": "ledger.change",
        "timestamp": "2026-03-01T09:05:00+00:00",
        "data": change.model_dump(mode="json"),
        "subscription": {"id": "ep_1"},
    }
    assert b", " not in body and b": " not in body
    assert "삼성전자".encode() in body  # UTF-8, not \\u escapes
    assert len(body) < 2048
    assert change_body(change, "ep_1") == body
