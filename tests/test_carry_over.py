"""Carrying answers to a later version of a framework: worked examples on the real primary framework, and
properties over random frameworks and random crosswalks (hypothesis)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quality_mark.carry_over import Carried, answer_fields, carry
from quality_mark.model import Framework
from quality_mark.response_schema import response_schema, response_validator
from quality_mark.versions import Route, routes
from tests.version_fixtures import next_version, primary_v2, real_content, small_framework, with_frameworks


def answer(rating: int | None, commentary: str, evidence: list[str] | None = None, revision: int = 3) -> dict:
    stored: dict[str, Any] = {"commentary": commentary, "evidence": evidence or [], "revision": revision}
    stored |= {"updated_at": "2026-10-01T09:00:00+00:00", "updated_by": "u1"}
    if rating is not None:
        stored["rating"] = rating
    return stored


def carried_to_primary_v2(answers: dict[str, dict], reason: str = "new_version") -> Carried:
    content = with_frameworks(real_content(), primary_v2(real_content()))
    old, new = content.framework("primary", 1), content.framework("primary", 2)
    history = {cid: [{"rating": a.get("rating"), "at": a["updated_at"], "by": "u1"}] for cid, a in answers.items()}
    return carry(answers, history, routes(content, "primary", 1, 2), old, new, reason)  # type: ignore[arg-type]


EVERY_KIND = {
    "PRI-LEAD-01": answer(3, "Unchanged answer"),
    "PRI-LEAD-02": answer(2, "Reworded answer"),
    "PRI-LEAD-07": answer(4, "Retired answer", ["Governors' minutes"]),
    "PRI-IDEN-03": answer(3, "Split answer", ["Assessment calendar"]),
    "PRI-TEACH-01": answer(4, "First merged", ["Lesson visits"]),
    "PRI-TEACH-02": answer(2, "Second merged", ["Lesson visits", "Pupil books"]),
    "PRI-VOICE-03": answer(1, "Replaced answer"),
    "PRI-WELL-05": answer(3, "Moved answer"),
}


def earlier(carried: Carried, criterion_id: str) -> dict:
    [entry] = [entry for entry in carried.earlier_answers if entry["criterion_id"] == criterion_id]
    return entry


def test_an_unchanged_criterion_keeps_its_answer_with_no_flag_and_no_earlier_copy() -> None:
    carried = carried_to_primary_v2(EVERY_KIND)

    assert answer_fields(carried.answers["PRI-LEAD-01"]) == answer_fields(EVERY_KIND["PRI-LEAD-01"])
    assert carried.answers["PRI-LEAD-01"]["revision"] == 4  # a tab opened before the move gets a conflict
    assert "PRI-LEAD-01" not in carried.flags
    assert "PRI-LEAD-01" not in {entry["criterion_id"] for entry in carried.earlier_answers}
    assert carried.history["PRI-LEAD-01"] == [{"rating": 3, "at": "2026-10-01T09:00:00+00:00", "by": "u1"}]


def test_a_moved_criterion_keeps_its_answer_under_its_new_heading_without_a_flag() -> None:
    carried = carried_to_primary_v2(EVERY_KIND)

    assert answer_fields(carried.answers["PRI-WELL-05"]) == answer_fields(EVERY_KIND["PRI-WELL-05"])
    assert "PRI-WELL-05" not in carried.flags


def test_a_reworded_criterion_keeps_its_answer_flagged_with_what_it_said_before() -> None:
    carried = carried_to_primary_v2(EVERY_KIND)
    v1_statement = real_content().framework("primary", 1).criterion("PRI-LEAD-02").statement

    assert answer_fields(carried.answers["PRI-LEAD-02"]) == answer_fields(EVERY_KIND["PRI-LEAD-02"])
    assert carried.flags["PRI-LEAD-02"] == {
        "kind": "changed",
        "version": 2,
        "before": [{"criterion_id": "PRI-LEAD-02", "statement": v1_statement}],
    }
    assert earlier(carried, "PRI-LEAD-02")["statement"] == v1_statement
    assert earlier(carried, "PRI-LEAD-02")["framework_version"] == 1


def test_a_split_criterion_gives_each_part_a_copy_and_keeps_the_original() -> None:
    carried = carried_to_primary_v2(EVERY_KIND)

    for part in ("PRI-IDEN-08", "PRI-IDEN-09"):
        assert answer_fields(carried.answers[part]) == answer_fields(EVERY_KIND["PRI-IDEN-03"])
        assert carried.flags[part]["kind"] == "changed"
        assert carried.flags[part]["before"][0]["criterion_id"] == "PRI-IDEN-03"
    assert "PRI-IDEN-03" not in carried.answers
    assert earlier(carried, "PRI-IDEN-03")["went_to"] == ["PRI-IDEN-08", "PRI-IDEN-09"]


def test_merged_criteria_give_the_lowest_rating_labelled_commentary_and_all_evidence() -> None:
    carried = carried_to_primary_v2(EVERY_KIND)

    assert answer_fields(carried.answers["PRI-TEACH-08"]) == {
        "rating": 2,
        "commentary": "[PRI-TEACH-01] First merged\n\n[PRI-TEACH-02] Second merged",
        "evidence": ["Lesson visits", "Pupil books"],
    }
    assert carried.flags["PRI-TEACH-08"]["kind"] == "changed"
    assert {earlier(carried, cid)["answer"]["commentary"] for cid in ("PRI-TEACH-01", "PRI-TEACH-02")} == {
        "First merged",
        "Second merged",
    }


def test_merged_commentary_over_the_limit_is_left_blank_and_the_originals_are_kept() -> None:
    long = "x" * 1500  # each fits the 2,000-character limit; joined they do not
    answers = {"PRI-TEACH-01": answer(3, long), "PRI-TEACH-02": answer(3, long + "y")}

    carried = carried_to_primary_v2(answers)

    assert carried.answers["PRI-TEACH-08"]["commentary"] == ""
    assert carried.answers["PRI-TEACH-08"]["rating"] == 3
    assert earlier(carried, "PRI-TEACH-02")["answer"]["commentary"] == long + "y"


def test_text_stored_before_the_text_rule_is_carried_printable_and_the_original_kept() -> None:
    answers = {"PRI-LEAD-01": answer(3, "Bell \x07 and \ud800", ["Minutes \x1b"])}

    carried = carried_to_primary_v2(answers)

    assert answer_fields(carried.answers["PRI-LEAD-01"]) == {
        "rating": 3,
        "commentary": "Bell \ufffd and \ufffd",
        "evidence": ["Minutes \ufffd"],
    }
    assert earlier(carried, "PRI-LEAD-01")["answer"]["commentary"] == "Bell \x07 and \ud800"


def test_a_replaced_criterion_passes_its_answer_on_and_a_retired_one_is_kept_read_only() -> None:
    carried = carried_to_primary_v2(EVERY_KIND)

    assert answer_fields(carried.answers["PRI-VOICE-08"]) == answer_fields(EVERY_KIND["PRI-VOICE-03"])
    assert carried.flags["PRI-VOICE-08"]["kind"] == "changed"
    assert "PRI-LEAD-07" not in carried.answers
    retired = earlier(carried, "PRI-LEAD-07")
    assert retired["went_to"] == []
    assert retired["heading_title"] == real_content().framework("primary", 1).heading("leadership").title
    assert retired["answer"]["evidence"] == ["Governors' minutes"]


def test_a_new_criterion_is_flagged_new() -> None:
    carried = carried_to_primary_v2(EVERY_KIND)

    assert carried.flags["PRI-TRANS-08"] == {"kind": "new", "version": 2}
    assert "PRI-TRANS-08" not in carried.answers


def test_for_reaccreditation_every_carried_answer_asks_still_true() -> None:
    carried = carried_to_primary_v2(EVERY_KIND, reason="still_true")

    assert {cid for cid, flag in carried.flags.items() if flag["kind"] == "still_true"} == set(carried.answers)
    assert carried.flags["PRI-TRANS-08"]["kind"] == "new"
    assert "PRI-LEAD-01" in carried.answers


def test_reaccreditation_on_the_same_version_asks_still_true_of_every_answer_and_keeps_no_copies() -> None:
    content = real_content()
    v1 = content.framework("primary", 1)
    answers = {"PRI-LEAD-01": answer(3, "One"), "PRI-LEAD-02": answer(2, "Two")}

    carried = carry(answers, {}, routes(content, "primary", 1, 1), v1, v1, "still_true")

    assert carried.flags == {cid: {"kind": "still_true", "version": 1, "before": []} for cid in answers}
    assert carried.earlier_answers == []


# Properties over random frameworks and crosswalks --------------------------------------------------------------

KINDS = ["keep", "keep", "reword", "retire", "split", "replace", "merge", "move"]


@st.composite
def framework_v1(draw: st.DrawFn) -> Framework:
    sizes = draw(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=3))
    numbers = iter(range(100))
    return small_framework([[f"C{next(numbers)}" for _ in range(size)] for size in sizes])


@st.composite
def later_version(draw: st.DrawFn, framework: Framework) -> Framework:
    """A random next version: each criterion kept, reworded, retired, split, replaced, merged or moved."""
    ids = [criterion.id for criterion in framework.criteria]
    heading_ids = [heading.id for heading in framework.headings]
    fresh = (f"V{framework.version + 1}N{n}" for n in range(1000))
    changes: dict[str, Any] = {k: {} for k in ("reword", "split", "merge", "replace", "move", "add")}
    changes["retire"] = []
    used: set[str] = set()
    for cid in ids:
        if cid in used:
            continue
        used.add(cid)
        kind = draw(st.sampled_from(KINDS))
        partners = [other for other in ids if other not in used]
        if kind == "reword":
            changes["reword"][cid] = f"Reworded {cid} in version {framework.version + 1}"
        elif kind == "retire":
            changes["retire"].append(cid)
        elif kind == "split":
            changes["split"][cid] = [next(fresh) for _ in range(draw(st.integers(2, 3)))]
        elif kind == "replace":
            changes["replace"][cid] = next(fresh)
        elif kind == "merge" and partners:
            partner = draw(st.sampled_from(partners))
            used.add(partner)
            changes["merge"][next(fresh)] = [cid, partner]
        elif kind == "move" and len(heading_ids) > 1:
            changes["move"][cid] = draw(st.sampled_from(heading_ids))
    for _ in range(draw(st.integers(0, 2)) if heading_ids else 0):
        changes["add"][next(fresh)] = draw(st.sampled_from(heading_ids))
    return next_version(framework, effective_from=date(2027 + framework.version, 9, 1), **changes)


@st.composite
def answers_to(draw: st.DrawFn, framework: Framework) -> dict[str, dict]:
    found = {}
    for criterion in framework.criteria:
        if draw(st.booleans()):
            rating = draw(st.one_of(st.none(), st.integers(1, 4)))
            evidence = draw(st.lists(st.sampled_from(["Map", "Plan", "Minutes", "Survey"]), max_size=3, unique=True))
            text = f"Answer given to {criterion.id}: {draw(st.text(max_size=20))}"
            found[criterion.id] = answer(rating, text, evidence)
    return found


@st.composite
def scenario(draw: st.DrawFn) -> tuple[Any, Framework, Framework, Framework, dict[str, dict]]:
    v1 = draw(framework_v1())
    v2 = draw(later_version(v1))
    v3 = draw(later_version(v2))
    content = with_frameworks(real_content(), v1, v2, v3)
    return content, v1, v2, v3, draw(answers_to(v1))


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _carry(content: Any, old: Framework, new: Framework, answers: dict, previous: Carried | None = None) -> Carried:
    return carry(
        answers,
        previous.history if previous else {},
        routes(content, old.id, old.version, new.version),
        old,
        new,
        flags=previous.flags if previous else None,
        earlier_answers=previous.earlier_answers if previous else (),
    )


@PROPERTY
@given(scenario())
def test_every_old_answer_is_kept_carried_one_to_one_or_among_the_earlier_answers(world) -> None:
    content, v1, _, v3, answers = world

    carried = _carry(content, v1, v3, answers)

    for cid, original in answers.items():
        one_to_one = cid in carried.answers and answer_fields(carried.answers[cid]) == answer_fields(original)
        kept = any(
            entry["criterion_id"] == cid and entry["answer"]["commentary"] == original["commentary"]
            for entry in carried.earlier_answers
        )
        assert one_to_one or kept, cid
        texts = [a["commentary"] for a in carried.answers.values()]
        texts += [e["answer"]["commentary"] for e in carried.earlier_answers]
        assert any(original["commentary"] in text for text in texts)


@PROPERTY
@given(scenario())
def test_flags_are_on_exactly_the_changed_and_new_criteria(world) -> None:
    content, v1, _, v3, answers = world
    found = routes(content, "test", 1, 3)

    carried = _carry(content, v1, v3, answers)

    arriving: dict[str, list[Route]] = {}
    for carried_routes in found.values():
        for route in carried_routes:
            arriving.setdefault(route.target_id, []).append(route)
    for criterion in v3.criteria:
        incoming = arriving.get(criterion.id, [])
        if incoming == [Route(criterion.id, criterion.id)]:
            assert criterion.id not in carried.flags
        elif not incoming:
            assert carried.flags[criterion.id]["kind"] == "new"
        else:
            assert carried.flags[criterion.id]["kind"] == "changed"


@PROPERTY
@given(scenario())
def test_every_carried_answer_is_valid_for_the_new_version(world) -> None:
    content, v1, _, v3, answers = world

    carried = _carry(content, v1, v3, answers)

    response = {
        "framework": v3.id,
        "framework_version": v3.version,
        "answers": {cid: answer_fields(a) for cid, a in carried.answers.items()},
    }
    assert list(response_validator(response_schema(v3)).iter_errors(response)) == []


def what_is_kept(original: dict[str, dict], carried: Carried) -> set[tuple[str, str]]:
    """Each original answer (criterion ID, commentary) found unchanged among the answers or earlier answers."""
    found = {(cid, a["commentary"]) for cid, a in carried.answers.items()}
    found |= {(e["criterion_id"], e["answer"]["commentary"]) for e in carried.earlier_answers}
    return found & {(cid, a["commentary"]) for cid, a in original.items()}


@PROPERTY
@given(scenario())
def test_carrying_in_two_steps_keeps_what_carrying_in_one_step_keeps(world) -> None:
    content, v1, v2, v3, answers = world

    direct = _carry(content, v1, v3, answers)
    first = _carry(content, v1, v2, answers)
    second = _carry(content, v2, v3, first.answers, first)

    assert (
        what_is_kept(answers, second)
        == what_is_kept(answers, direct)
        == {(cid, a["commentary"]) for cid, a in answers.items()}
    )
