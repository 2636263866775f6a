"""The content model that the site, the schemas and the form service all read: frameworks, criteria,
stages, key dates, as loaded from the real content."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from quality_mark.loader import check_content, load_content
from quality_mark.model import Content, Thresholds

EditContent = Callable[[str, str, str], int]  # the edit_content fixture from conftest.py


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.mark.parametrize("framework_id", ["primary", "secondary"])
def test_each_framework_has_six_headings_and_at_least_36_criteria(content: Content, framework_id: str) -> None:
    framework = content.framework(framework_id, 1)

    assert framework.id == framework_id
    assert framework.version == 1
    assert framework.source_file == f"criteria/{framework_id}/v1.yaml"
    assert len(framework.headings) == 6
    assert len(framework.criteria) >= 36
    assert all(heading.criteria for heading in framework.headings), "every heading has criteria"
    assert all(criterion.heading_id == heading.id for heading in framework.headings for criterion in heading.criteria)


@pytest.mark.parametrize("framework_id", ["primary", "secondary"])
def test_each_framework_rates_from_1_to_4_with_thresholds_inside_the_scale(content: Content, framework_id: str) -> None:
    framework = content.framework(framework_id)

    assert framework.rating_scale.values == (1, 2, 3, 4)
    assert (framework.rating_scale.lowest, framework.rating_scale.highest) == (1, 4)
    assert framework.rating_scale.label_for(1) == "Not yet in place"
    assert framework.rating_scale.label_for(4) == "Embedded"
    assert framework.thresholds == Thresholds(strength=3.5, development=2.5)
    with pytest.raises(KeyError):
        framework.rating_scale.label_for(5)


def test_criterion_ids_are_unique_across_every_framework(content: Content) -> None:
    ids = [criterion.id for framework in content.frameworks for criterion in framework.criteria]

    assert len(ids) == len(set(ids))
    assert all(c.id.startswith("PRI-") for c in content.framework("primary").criteria)
    assert all(c.id.startswith("SEC-") for c in content.framework("secondary").criteria)


def test_some_criteria_are_optional_stretch_criteria(content: Content) -> None:
    for framework in content.frameworks:
        required = [criterion.required for criterion in framework.criteria]
        assert True in required and False in required, framework.id


def test_a_criterion_is_found_by_its_id(content: Content) -> None:
    primary = content.framework("primary")

    criterion = primary.criterion("PRI-LEAD-01")

    assert criterion.heading_id == "leadership"
    assert criterion.statement.startswith("Leaders have a clear, shared vision for inclusion")
    assert criterion.required is True
    assert 2 <= len(criterion.evidence_examples) <= 5
    assert criterion in primary.heading("leadership").criteria
    with pytest.raises(KeyError):
        primary.criterion("SEC-LEAD-01")
    with pytest.raises(KeyError):
        primary.heading("no-such-heading")


def test_content_framework_returns_the_newest_version_unless_asked_for_one(content: Content) -> None:
    assert content.framework_ids() == ("primary", "secondary")
    assert content.framework("primary") is content.framework("primary", 1)
    assert [framework.id for framework in content.current_frameworks()] == ["primary", "secondary"]
    with pytest.raises(KeyError):
        content.framework("primary", 2)
    with pytest.raises(KeyError):
        content.framework("tertiary")


@pytest.mark.parametrize(
    ("score", "judgement"),
    [
        (4, "strength"),
        (3.5, "strength"),
        (3.49, None),
        (3, None),
        (2.51, None),
        (2.5, "development"),
        (1, "development"),
    ],
)
def test_thresholds_judge_a_score(content: Content, score: float, judgement: str | None) -> None:
    assert content.framework("primary").thresholds.judge(score) == judgement


def test_the_model_cannot_be_changed_once_loaded(content: Content) -> None:
    framework = content.framework("primary")
    criterion = framework.criterion("PRI-LEAD-01")
    stage = content.timeline.stage(1)

    with pytest.raises(dataclasses.FrozenInstanceError):
        framework.title = "Changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        criterion.statement = "Changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        stage.funded_hours = 100  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        content.frameworks = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        framework.thresholds.strength = 1  # type: ignore[misc]
    assert isinstance(framework.headings, tuple) and isinstance(criterion.evidence_examples, tuple)
    assert framework.title == "Primary schools"


def test_the_timeline_has_ten_stages_and_seven_funded_hours(content: Content) -> None:
    timeline = content.timeline

    assert [stage.number for stage in timeline.stages] == list(range(1, 11))
    assert {stage.number: stage.funded_hours for stage in timeline.stages if stage.funded_hours} == {3: 2, 5: 2, 7: 3}
    assert timeline.total_funded_hours == 7
    assert timeline.stage(6).id == "evidence"
    assert all(content.contact(contact_id) for stage in timeline.stages for contact_id in stage.contact_ids)


def test_reaccreditation_is_every_three_years_repeating_stages_5_to_9(content: Content) -> None:
    reaccreditation = content.timeline.reaccreditation

    assert reaccreditation.every_years == 3
    assert reaccreditation.repeats_stages == (5, 6, 7, 8, 9)
    assert "three years" in reaccreditation.summary


def test_the_submission_deadline_is_2359_uk_time_on_30_september(content: Content) -> None:
    assert content.key_dates.cycles, "there are cycles"
    for cycle in content.key_dates.cycles:
        deadline = cycle.submission_deadline

        assert deadline.tzinfo == ZoneInfo("Europe/London"), cycle.id
        assert (deadline.month, deadline.day, deadline.hour, deadline.minute) == (9, 30, 23, 59), cycle.id
        assert deadline.utcoffset() == timedelta(hours=1), "30 September is in British Summer Time"
        assert deadline.date() > cycle.registration_opens


def test_key_events_are_in_date_order_within_a_cycle(content: Content) -> None:
    cycle = content.key_dates.cycle("2026-27")
    dates = [event.date for event in cycle.events]

    assert dates == sorted(dates)
    briefing = next(event for event in cycle.events if event.id == "school-leads-briefing")
    assert briefing.starts_at == datetime(2026, 9, 16, 16, 0, tzinfo=ZoneInfo("Europe/London"))
    panel = next(event for event in cycle.events if event.id == "panel-meeting")
    assert panel.starts_at is None, "an event without a time lasts all day"


def test_the_content_hash_is_the_same_every_time_it_is_loaded() -> None:
    first, second = load_content(), load_content()

    assert first is not second
    assert [f.content_hash for f in first.frameworks] == [f.content_hash for f in second.frameworks]
    assert all(f.content_hash.startswith("sha256:") for f in first.frameworks)
    assert first.framework("primary").content_hash != first.framework("secondary").content_hash


def test_changing_a_criterions_wording_changes_its_frameworks_hash(
    content: Content, content_copy: Path, edit_content: EditContent
) -> None:
    edit_content(
        "criteria/primary/v1.yaml", "Leaders have a clear, shared vision", "Leaders have a clear and shared vision"
    )

    edited = load_content(content_copy)

    assert edited.framework("primary").criterion("PRI-LEAD-01").statement.startswith("Leaders have a clear and shared")
    assert edited.framework("primary").content_hash != content.framework("primary").content_hash
    assert edited.framework("secondary").content_hash == content.framework("secondary").content_hash


def test_an_unchanged_copy_has_the_same_hashes(content: Content, content_copy: Path) -> None:
    copy = load_content(content_copy)

    assert [f.content_hash for f in copy.frameworks] == [f.content_hash for f in content.frameworks]


def test_a_new_version_loads_beside_the_old_one(content: Content, content_copy: Path) -> None:
    v1_text = (content_copy / "criteria/primary/v1.yaml").read_text(encoding="utf-8")
    assert v1_text.count("version: 1\n") == 1 and v1_text.count('effective_from: "2026-09-01"') == 1
    v2_text = v1_text.replace("version: 1\n", "version: 2\n").replace(
        'effective_from: "2026-09-01"', 'effective_from: "2027-09-01"'
    )
    v2_text += "changes:\n  summary: The same criteria, a year later.\n  log:\n    - No criteria changed.\n"
    (content_copy / "criteria/primary/v2.yaml").write_text(v2_text, encoding="utf-8")

    loaded, problems = check_content(content_copy)

    assert problems == [], "\n".join(map(str, problems))
    assert loaded is not None
    assert [f.version for f in loaded.versions_of("primary")] == [1, 2]
    newest, first = loaded.framework("primary"), loaded.framework("primary", 1)
    assert (newest.version, newest.effective_from, newest.source_file) == (
        2,
        date(2027, 9, 1),
        "criteria/primary/v2.yaml",
    )
    assert (first.version, first.effective_from, first.source_file) == (1, date(2026, 9, 1), "criteria/primary/v1.yaml")
    assert first.content_hash == content.framework("primary").content_hash
    assert newest.content_hash != first.content_hash
    assert [c.id for c in newest.criteria] == [c.id for c in first.criteria], "versions share criterion IDs"
    assert [(f.id, f.version) for f in loaded.current_frameworks()] == [("primary", 2), ("secondary", 1)]
