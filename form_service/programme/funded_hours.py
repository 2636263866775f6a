"""LA-funded hours: how many of each stage's funded hours a school has used, and what is left.

Pure: no store, no Flask. The content gives each stage's allowance (`Stage.funded_hours`: 2 hours for the
action-plan meeting, 2 for the monitoring visit, 3 for the evaluation) and the stages a reaccreditation
repeats (`Reaccreditation.repeats_stages`, 5 to 9).

The rule, explained on the pages too: hours are counted per *accreditation round*. The first round runs
until the school is first awarded the mark; every stage has its allowance in it. Each award starts a new
round, the reaccreditation, in which only the repeated stages have their allowance again. A visit counts
in the round its date falls in: on or before the day of an award, the round that award ended; after it,
the next. A visit dated after today is *planned*: its hours are booked against the allowance (so nobody
books more than is funded without seeing it) but are not yet used. Hours over an allowance are allowed,
because the visit happened, and shown as over; one stage's spare hours never cover another's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from quality_mark.model import Stage, Timeline
from quality_mark.wording import hours as _hours


@dataclass(frozen=True)
class StageHours:
    """One stage's funded hours in one round."""

    stage: Stage
    allowance: float
    used: float  # visits dated today or earlier
    planned: float  # visits dated after today

    @property
    def booked(self) -> float:
        return self.used + self.planned

    @property
    def remaining(self) -> float:
        return max(self.allowance - self.booked, 0.0)

    @property
    def over(self) -> float:
        return max(self.booked - self.allowance, 0.0)


@dataclass(frozen=True)
class AccreditationRound:
    """The visits of one accreditation round and the hours of each stage that has an allowance or a visit."""

    number: int  # 1 for the first accreditation, 2 for the first reaccreditation, ...
    after_award_on: date | None  # the award that started this round (None for the first)
    ended_by_award_on: date | None  # the award that ended it (None for the round under way)
    stages: tuple[StageHours, ...]
    visits: tuple[Mapping[str, Any], ...]  # oldest first

    @property
    def is_reaccreditation(self) -> bool:
        return self.number > 1

    @property
    def allowance(self) -> float:
        return sum(row.allowance for row in self.stages)

    @property
    def used(self) -> float:
        return sum(row.used for row in self.stages)

    @property
    def planned(self) -> float:
        return sum(row.planned for row in self.stages)

    @property
    def remaining(self) -> float:
        """The sum of each stage's remaining hours: one stage's spare hours never cover another's."""
        return sum(row.remaining for row in self.stages)

    @property
    def over(self) -> float:
        return sum(row.over for row in self.stages)

    @property
    def over_stages(self) -> tuple[StageHours, ...]:
        return tuple(row for row in self.stages if row.over)


def award_dates(awards: Mapping[str, Any] | None) -> list[date]:
    """The days the school was awarded the mark (from an ``awards/<urn>`` document), oldest first."""
    decisions = (awards or {}).get("decisions") or []
    return sorted(date.fromisoformat(d["decided_on"]) for d in decisions if d.get("outcome") == "awarded")


def round_of(visit_date: date, awards_on: list[date]) -> int:
    """The round a visit on `visit_date` counts in: 1 plus the number of awards made before that day."""
    return 1 + sum(1 for awarded in awards_on if awarded < visit_date)


def allowance(stage: Stage, round_number: int, timeline: Timeline) -> float:
    """A stage's funded hours in a round: every stage's in the first, only the repeated stages' after that."""
    if round_number == 1 or stage.number in timeline.reaccreditation.repeats_stages:
        return float(stage.funded_hours)
    return 0.0


def accreditation_rounds(
    visits: Iterable[Mapping[str, Any]], timeline: Timeline, awards_on: list[date], today: date
) -> list[AccreditationRound]:
    """Every round from the first to the one under way (one per award, plus one), with its visits and hours."""
    awards_on = sorted(awards_on)
    by_round: dict[int, list[Mapping[str, Any]]] = {}
    for visit in sorted(visits, key=lambda v: (v["date"], v.get("recorded_at", ""))):
        by_round.setdefault(round_of(date.fromisoformat(visit["date"]), awards_on), []).append(visit)
    rounds = []
    for number in range(1, len(awards_on) + 2):
        in_round = by_round.get(number, [])
        rows = []
        for stage in timeline.stages:
            stage_visits = [v for v in in_round if v["stage"] == stage.number]
            funded = allowance(stage, number, timeline)
            if not funded and not stage_visits:
                continue
            used = sum(float(v["hours"]) for v in stage_visits if date.fromisoformat(v["date"]) <= today)
            planned = sum(float(v["hours"]) for v in stage_visits if date.fromisoformat(v["date"]) > today)
            rows.append(StageHours(stage, funded, used, planned))
        rounds.append(
            AccreditationRound(
                number=number,
                after_award_on=awards_on[number - 2] if number > 1 else None,
                ended_by_award_on=awards_on[number - 1] if number <= len(awards_on) else None,
                stages=tuple(rows),
                visits=tuple(in_round),
            )
        )
    return rounds


def total_used(visits: Iterable[Mapping[str, Any]], today: date) -> float:
    """Every funded hour the school has used, in every round (planned visits not included)."""
    return sum(float(v["hours"]) for v in visits if date.fromisoformat(v["date"]) <= today)


def total_planned(visits: Iterable[Mapping[str, Any]], today: date) -> float:
    return sum(float(v["hours"]) for v in visits if date.fromisoformat(v["date"]) > today)


def rule_in_words(timeline: Timeline) -> str:
    """The counting rule as the pages explain it, with the content's own figures."""
    first = sum(stage.funded_hours for stage in timeline.stages)
    repeated = [timeline.stage(n) for n in timeline.reaccreditation.repeats_stages]
    again = sum(stage.funded_hours for stage in repeated)
    numbers = timeline.reaccreditation.repeats_stages
    return (
        f"Funded hours are counted per accreditation round. Until the school first holds the Quality Mark, "
        f"each stage has its own allowance ({_hours(first)} in all). Each award starts a reaccreditation round "
        f"(every {timeline.reaccreditation.every_years} years), in which stages {numbers[0]} to {numbers[-1]} "
        f"have their allowance again ({_hours(again)} in all). A visit counts in the round its date falls in: "
        "on or before the day of an award it counts in the round that award ended. Hours over a stage's "
        "allowance are recorded and shown as over; spare hours of one stage do not cover another."
    )
