"""The history of one commitment and the kind of every change, without any I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.models import Quantity, Timeframe, stable_id
from services.store.diff import (
    Observation,
    derive_history,
    extend_history,
    late_withdrawal,
    new_versions,
    withdrawal,
)

from .builders import observation

KEY = "gpu_commitment|samsung-electronics|nvidia|gpu|-"


def kinds(*observations: Observation, window: timedelta = timedelta(days=31)) -> list[str]:
    return [v.kind for v in derive_history(KEY, observations, window)]


def test_first_sighting_is_new() -> None:
    [version] = derive_history(KEY, [observation(50_000)])
    assert (version.kind, version.before, version.sources) == ("new", None, ("zdnet",))


def test_restated_not_changed_across_qualifiers_on_the_same_day() -> None:
    history = derive_history(
        KEY,
        [
            observation(260_000, qualifier="at_least", source="a"),
            observation(260_000, qualifier="up_to", source="b", day=0.1),
            observation(260_000, qualifier="exact", source="c", day=0.2),
            observation(260_000, qualifier="exact", source="d", day=0.3),
        ],
    )
    assert [v.kind for v in history] == ["new", "revised", "revised", "reaffirmed"]
    assert all(v.delta is None for v in history)
    assert history[-1].sources == ("a", "b", "c", "d")


def test_increase_across_sources_outside_the_window() -> None:
    history = derive_history(
        KEY, [observation(50_000, source="a"), observation(60_000, source="b", day=60)]
    )
    assert [v.kind for v in history] == ["new", "increased"]
    delta = history[1].delta
    assert delta is not None
    assert (delta.absolute, delta.relative) == (10_000, pytest.approx(0.2))
    assert history[1].sources == ("b",)


def test_the_same_source_updating_itself_is_an_increase_or_decrease() -> None:
    assert kinds(observation(50_000), observation(40_000, day=1)) == ["new", "decreased"]


def test_conflicting_sources_in_the_same_month_keep_both_claims() -> None:
    history = derive_history(
        KEY, [observation(15_000, source="a"), observation(24_000, source="b", day=10)]
    )
    assert [v.kind for v in history] == ["new", "conflict"]
    conflict = history[1]
    assert conflict.after.quantity is not None and conflict.after.quantity.value == 24_000
    [claim] = conflict.disputed
    assert (claim.quantity.value, claim.sources) == (15_000, ("a",))


def test_the_conflict_window_is_a_parameter() -> None:
    pair = (observation(15_000, source="a"), observation(24_000, source="b", day=10))
    assert kinds(*pair, window=timedelta(days=5)) == ["new", "increased"]


def test_the_window_runs_from_the_last_time_a_source_repeated_its_figure() -> None:
    history = derive_history(
        KEY,
        [
            observation(100_000, source="a"),
            observation(100_000, source="a", day=30),
            observation(120_000, source="b", day=40),
        ],
    )
    assert [v.kind for v in history] == ["new", "conflict"]
    [claim] = history[1].disputed
    assert (claim.quantity.value, claim.sources) == (100_000, ("a",))
    assert claim.asserted_at == history[0].observation.effective_at + timedelta(days=30)


def test_a_claim_is_dated_when_its_sources_last_asserted_it_not_when_another_restated() -> None:
    history = derive_history(
        KEY,
        [
            observation(100_000, source="a"),
            observation(120_000, source="b", day=10),
            observation(100_000, source="a", day=20),  # a's side again: seen, no version
            observation(130_000, source="c", day=30),
        ],
    )
    assert [v.kind for v in history] == ["new", "conflict", "conflict"]
    dated = {c.quantity.value: c.asserted_at - history[0].observation.effective_at
             for c in history[2].disputed}  # fmt: skip
    assert dated == {120_000: timedelta(days=10), 100_000: timedelta(days=0)}


def test_a_disputed_claim_expires_after_the_window() -> None:
    history = derive_history(
        KEY,
        [
            observation(15_000, source="a"),
            observation(24_000, source="b", day=10),
            observation(24_000, source="c", day=20),
            observation(24_000, source="d", day=50),
        ],
    )
    assert [v.kind for v in history] == ["new", "conflict", "reaffirmed", "reaffirmed"]
    assert len(history[2].disputed) == 1
    assert history[3].disputed == ()


def test_cancellation_is_a_retraction() -> None:
    assert kinds(observation(50_000), observation(50_000, status="cancelled", day=3)) == [
        "new",
        "retracted",
    ]


def test_model_timeframe_and_status_changes_are_revisions() -> None:
    dated = Timeframe(text="2026년", start="2026", end="2026")
    assert kinds(
        observation(50_000),
        observation(50_000, day=1, gpu_model="Blackwell"),
        observation(50_000, day=2, timeframe=dated),
        observation(50_000, day=3, status="completed"),
    ) == ["new", "revised", "revised", "revised"]


def test_unstated_fields_keep_their_values_and_wording_is_not_a_change() -> None:
    history = derive_history(
        KEY,
        [
            observation(
                50_000, gpu_model="Blackwell", source="a", timeframe=Timeframe(text="향후 수년간")
            ),
            observation(None, source="b", day=1, timeframe=Timeframe(text="over the coming years")),
        ],
    )
    assert [v.kind for v in history] == ["new", "reaffirmed"]
    after = history[1].after
    assert after.gpu_model == "Blackwell"
    assert after.quantity is not None and after.quantity.value == 50_000


def test_a_source_repeating_itself_adds_no_version() -> None:
    assert kinds(observation(50_000, slug="x"), observation(50_000, slug="y", day=1)) == ["new"]


def test_late_arriving_older_article_is_compared_with_its_true_predecessor() -> None:
    october, november = observation(40_000, source="a"), observation(50_000, source="b", day=40)
    before = derive_history(KEY, [november])
    after = derive_history(KEY, [november, october])
    assert [v.kind for v in after] == ["new", "increased"]
    assert after[-1].after == november.state  # the current state does not regress
    emitted = new_versions({v.id for v in before}, after)
    assert [(v.kind, v.observation.article_id) for v in emitted] == [
        ("new", october.article_id),
        ("increased", november.article_id),
    ]


def test_re_deriving_the_same_observations_emits_nothing() -> None:
    observations = [observation(50_000), observation(60_000, day=40, source="b")]
    first = derive_history(KEY, observations)
    assert new_versions({v.id for v in first}, derive_history(KEY, observations)) == ()


def test_facts_of_one_article_fold_in_the_order_of_its_text_whatever_their_ids() -> None:
    """Ids come from the extractor's version: a re-extraction must not reorder the article."""
    this_year = observation(10_000, slug="plan")
    by_2027 = replace(observation(50_000, slug="plan"), position=60)
    histories = [
        derive_history(
            KEY,
            [
                replace(this_year, fact_id=stable_id(version, "0")),
                replace(by_2027, fact_id=stable_id(version, "1")),
            ],
        )
        for version in ("1.0.0", "1.1.0", "1.2.0", "1.3.0")
    ]
    assert [v.kind for v in histories[0]] == ["new", "increased"]
    assert all([v.id for v in h] == [v.id for v in histories[0]] for h in histories)
    assert histories[0][-1].after.quantity == by_2027.state.quantity


def test_an_article_that_makes_one_change_twice_gives_each_its_own_id() -> None:
    """"10,000 now, 50,000 by 2027", then the same again further on in the article."""
    figures = [
        replace(observation(value, slug="recap"), position=at, fact_id=stable_id("recap", str(at)))
        for at, value in enumerate([10_000, 50_000, 10_000, 50_000])
    ]
    history = derive_history(KEY, figures)
    assert [v.kind for v in history] == ["new", "increased", "decreased", "increased"]
    assert len({v.id for v in history}) == 4
    assert derive_history(KEY, reversed(figures)) == history


def test_two_figures_of_one_sentence_fold_in_the_order_they_are_written() -> None:
    """"50,000 GPUs this year and 100,000 GPUs in 2026": an increase, not a decrease."""
    this_year = replace(observation(50_000, slug="plan"), position=14)
    next_year = replace(observation(100_000, slug="plan"), position=40, fact_id="0" * 32)
    history = derive_history(KEY, [next_year, this_year])
    assert [v.kind for v in history] == ["new", "increased"]
    assert history[-1].after == next_year.state


def test_a_source_restating_its_figure_after_the_window_is_heard_again() -> None:
    history = derive_history(
        KEY,
        [
            observation(100_000, source="a"),
            observation(120_000, source="b", day=2),
            observation(100_000, source="a", day=200),  # the dispute is long over
        ],
    )
    assert [v.kind for v in history] == ["new", "conflict", "decreased"]
    assert history[-1].disputed == ()


def _money(value: float, unit: str, **kwargs: Any) -> Observation:
    seen = observation(value, **kwargs)
    quantity = Quantity(value=value, unit=unit, qualifier="exact", text=f"{value} {unit}")
    return replace(seen, state=seen.state.model_copy(update={"quantity": quantity}))


def test_figures_in_different_currencies_are_revisions_not_increases_or_conflicts() -> None:
    dollars = _money(14e9, "USD", source="a")
    later_in_won = _money(20e12, "KRW", source="a", day=40)
    other_source_in_won = _money(20e12, "KRW", source="b", day=10)
    for history in (
        derive_history(KEY, [dollars, later_in_won]),
        derive_history(KEY, [dollars, other_source_in_won]),
    ):
        assert [(v.kind, v.delta) for v in history] == [("new", None), ("revised", None)]
        assert history[-1].disputed == ()
    megawatts = _money(500, "MW", source="a")
    assert [v.kind for v in derive_history(KEY, [megawatts, _money(1, "GW", day=40)])] == [
        "new",
        "increased",
    ]  # one dimension: GW is compared in MW


def test_a_source_repeating_its_side_of_a_dispute_adds_no_version() -> None:
    history = derive_history(
        KEY,
        [
            observation(100_000, source="a"),
            observation(120_000, source="b", day=1),
            observation(100_000, source="a", day=2),
            observation(120_000, source="b", day=3),
        ],
    )
    assert [v.kind for v in history] == ["new", "conflict"]
    assert [(c.quantity.value, c.sources) for c in history[-1].disputed] == [(100_000, ("a",))]


def test_the_last_source_of_another_figure_coming_round_settles_the_dispute() -> None:
    history = derive_history(
        KEY,
        [
            observation(100_000, source="a"),
            observation(120_000, source="b", day=2),
            observation(120_000, source="a", day=4),
        ],
    )
    assert [v.kind for v in history] == ["new", "conflict", "settled"]
    assert (history[-1].sources, history[-1].disputed) == (("b", "a"), ())
    assert history[-1].before == history[-1].after  # the figure stays; the dispute ends


def test_a_source_coming_round_while_another_keeps_its_figure_only_narrows_the_dispute() -> None:
    history = derive_history(
        KEY,
        [
            observation(100_000, source="a"),
            observation(100_000, source="c", day=1),
            observation(120_000, source="b", day=2),
            observation(120_000, source="a", day=4),
        ],
    )
    assert [v.kind for v in history] == ["new", "reaffirmed", "conflict", "reaffirmed"]
    assert [(c.quantity.value, c.sources) for c in history[-1].disputed] == [(100_000, ("c",))]


@pytest.mark.parametrize("stated", [None, "no figure"], ids=["a vague figure", "no figure"])
def test_a_disputing_source_s_article_without_a_figure_settles_nothing(stated: str | None) -> None:
    """a's later article of the deal states no figure ("tens of thousands", or none): the
    state keeps b's figure, but a never came round to it."""
    unstated = {"no_quantity": True} if stated else {}
    later = observation(None, source="a", day=4, **unstated)
    assert (later.state.quantity is None) == (stated is not None)
    history = derive_history(
        KEY, [observation(100_000, source="a"), observation(120_000, source="b", day=2), later]
    )
    assert [v.kind for v in history] == ["new", "conflict", "reaffirmed"]


def test_a_dispute_that_lapses_with_the_window_is_not_settled_by_a_new_source() -> None:
    history = derive_history(
        KEY,
        [
            observation(100_000, source="a"),
            observation(120_000, source="b", day=2),
            observation(120_000, source="c", day=60),
        ],
    )
    assert [v.kind for v in history] == ["new", "conflict", "reaffirmed"]
    assert history[-1].disputed == ()


def test_a_restatement_without_a_figure_keeps_a_vague_quantity() -> None:
    vague = observation(None, qualifier="about", source="a")
    unstated = observation(None, no_quantity=True, source="b", day=1)
    history = derive_history(KEY, [vague, unstated])
    assert [v.kind for v in history] == ["new", "reaffirmed"]
    assert history[-1].after.quantity == vague.state.quantity


OBSERVATIONS = [
    observation(260_000, qualifier="up_to", source="a"),
    observation(260_000, source="b"),
    observation(240_000, source="c", day=2),
    observation(50_000, source="a", day=40),
    observation(50_000, source="d", day=41, status="cancelled"),
    observation(60_000, source="d", day=90, gpu_model="GB200"),
    observation(None, source="e", day=90, no_quantity=True),
    observation(60_000, source="d", day=100, gpu_model="GB200"),
    observation(60_000, source="a", day=120, qualifier="about"),
]


@settings(max_examples=200, deadline=None)
@given(st.permutations(OBSERVATIONS))
def test_any_permutation_yields_the_same_history(order: list[Observation]) -> None:
    assert derive_history(KEY, order) == derive_history(KEY, OBSERVATIONS)


@settings(max_examples=100, deadline=None)
@given(st.permutations(OBSERVATIONS), st.integers(min_value=0, max_value=len(OBSERVATIONS)))
def test_extending_a_history_equals_deriving_it_at_once(order: list[Observation], cut: int) -> None:
    ordered = sorted(order, key=lambda o: o.order)
    before, head = extend_history(KEY, None, ordered[:cut])
    after, _ = extend_history(KEY, head, ordered[cut:])
    assert before + after == derive_history(KEY, order)


# --------------------------------------------------------------------------- withdrawals

_OCT, _NOV, _DEC = (
    observation(50_000, source="a"),
    observation(60_000, source="b", day=30),
    observation(70_000, source="c", day=60),
)


def test_a_last_version_no_longer_read_is_withdrawn_to_the_version_before_it() -> None:
    before = derive_history(KEY, [_OCT, _NOV])
    after = derive_history(KEY, [_OCT])
    gone = withdrawal(before[-1], {v.id for v in before}, after)
    assert gone is not None
    assert (gone.kind, gone.before, gone.after) == ("withdrawn", before[-1].after, after[-1].after)
    assert gone.observation == _NOV and gone.delta is None


def test_a_history_left_empty_withdraws_to_nothing() -> None:
    [only] = derive_history(KEY, [_OCT])
    gone = withdrawal(only, {only.id}, ())
    assert gone is not None and gone.after is None and gone.before == only.after


def test_no_withdrawal_while_the_ledger_holds_what_it_reported() -> None:
    before = derive_history(KEY, [_OCT, _NOV])
    known = {v.id for v in before}
    assert withdrawal(before[-1], known, before) is None  # read the same way
    # a source repeating the reported figure is read no more: the state is the same
    repeated = derive_history(KEY, [_OCT, observation(50_000, source="b", day=30)])
    assert withdrawal(repeated[-1], {v.id for v in repeated}, derive_history(KEY, [_OCT])) is None
    # the version before the reported one changed: the reported figure stands, under a new id
    later = derive_history(KEY, [_OCT, _NOV, _DEC])
    redone = derive_history(KEY, [_OCT, _DEC])
    assert redone[-1].id != later[-1].id
    assert withdrawal(later[-1], {v.id for v in later}, redone) is None


def test_a_new_version_that_moves_from_the_reported_state_is_the_change_alone() -> None:
    before = derive_history(KEY, [_OCT, _NOV])
    moved = derive_history(KEY, [observation(60_000, source="b", day=29), _DEC])
    assert moved[-1].before is not None and moved[-1].before.quantity is not None
    assert moved[-1].before.quantity.value == 60_000
    assert withdrawal(before[-1], {v.id for v in before}, moved) is None


def test_a_new_version_from_another_state_comes_with_the_withdrawal_of_the_reported_one() -> None:
    before = derive_history(KEY, [_OCT, _NOV])
    reread = derive_history(KEY, [_OCT, observation(70_000, source="b", day=30)])
    gone = withdrawal(before[-1], {v.id for v in before}, reread)
    assert gone is not None and gone.after == reread[-1].after and gone.before == before[-1].after


def test_a_withdrawal_has_one_id_per_lost_version_and_state_it_leaves() -> None:
    before = derive_history(KEY, [_OCT, _NOV])
    known = {v.id for v in before}
    to_oct = withdrawal(before[-1], known, derive_history(KEY, [_OCT]))
    again = withdrawal(before[-1], known, derive_history(KEY, [_OCT]))
    to_nothing = withdrawal(before[-1], known, ())
    assert to_oct is not None and again is not None and to_nothing is not None
    assert to_oct.id == again.id != to_nothing.id


def test_a_late_re_fold_that_only_narrows_a_dispute_withdraws_nothing() -> None:
    """a and d 50,000, b 60,000 (a conflict), c 60,000 (a reaffirmation, 50,000 still disputed);
    a's late day-7 article comes round to 60,000 while d keeps 50,000: c's reaffirmation keeps
    its id, and the same figure stays disputed (by d alone) — as appended, nothing to tell."""
    a, d, b, c = (observation(50_000, source="a"), observation(50_000, source="d", day=1),
                  observation(60_000, source="b", day=5),
                  observation(60_000, source="c", day=10))  # fmt: skip
    before = derive_history(KEY, [a, d, b, c])
    after = derive_history(KEY, [a, d, b, observation(60_000, source="a", day=7), c])
    assert [v.kind for v in after][-2:] == ["reaffirmed", "reaffirmed"]
    assert after[-1].id == before[-1].id
    assert [(c.quantity.value, c.sources) for c in after[-1].disputed] == [(50_000, ("d",))]
    assert late_withdrawal(before[-1], {v.id for v in before}, after[2:]) is None


def test_a_late_re_fold_that_settles_the_dispute_before_a_kept_version_is_told_by_it() -> None:
    """a 50,000, b 60,000 (a conflict), c 60,000 (a reaffirmation, 50,000 still disputed); a's
    late day-7 article comes round to 60,000: its settlement is the change, c's version keeps
    its id, undisputed, and nothing is withdrawn."""
    a, b, c = (observation(50_000, source="a"), observation(60_000, source="b", day=5),
               observation(60_000, source="c", day=10))  # fmt: skip
    before = derive_history(KEY, [a, b, c])
    after = derive_history(KEY, [a, b, observation(60_000, source="a", day=7), c])
    assert [v.kind for v in after] == ["new", "conflict", "settled", "reaffirmed"]
    assert after[-1].id == before[-1].id and after[-1].disputed == ()
    assert late_withdrawal(before[-1], {v.id for v in before}, after[1:]) is None


def test_a_late_re_fold_ending_at_a_new_version_after_the_one_reported_is_told_by_it() -> None:
    """A source coming round after the last version (a settlement) is told as appended."""
    a, b = observation(50_000, source="a"), observation(60_000, source="b", day=5)
    before = derive_history(KEY, [a, b])
    after = derive_history(KEY, [a, b, observation(60_000, source="a", day=10)])
    assert after[-1].disputed == () and after[-1].id not in {v.id for v in before}
    assert late_withdrawal(before[-1], {v.id for v in before}, after[1:]) is None
    assert late_withdrawal(before[-1], set(), ()) is None


def test_a_late_re_fold_that_changed_the_one_reported_withdraws_it_though_new_versions_follow(
) -> None:
    """a 50,000, b 60,000, c 70,000 (a conflict, 60,000 and 50,000 disputed); a's late day-7
    article (60,000) and d's day-12 one (70,000) in one batch: c's conflict loses 50,000 on
    the way and d's reaffirmation, new, tells nobody — the withdrawal does, as it does when the
    two come in two batches."""
    a, b, c = (observation(50_000, source="a"), observation(60_000, source="b", day=5),
               observation(70_000, source="c", day=10))  # fmt: skip
    before = derive_history(KEY, [a, b, c])
    late, d = observation(60_000, source="a", day=7), observation(70_000, source="d", day=12)
    after = derive_history(KEY, [a, b, late, c, d])
    assert after[-1].id not in {v.id for v in before} and after[-1].kind == "reaffirmed"
    gone = late_withdrawal(before[-1], {v.id for v in before}, after[1:])
    assert gone is not None and gone.before == gone.after == before[-1].after
    assert {claim.quantity.value for claim in gone.disputed} == {60_000}
