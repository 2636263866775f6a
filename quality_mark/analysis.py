"""What a school's answers say: progress, a score per heading, strengths and areas for development.

Pure functions of a framework and a school's answers ({criterion id: {"rating", "commentary", ...}}),
so the analysis page, the governor summary, the report and the LA's figures all agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from .model import Criterion, Framework, Heading, Judgement

Answers = Mapping[str, Mapping[str, Any]]

# An LA average is shown only when at least this many schools contribute, so no school can be identified.
MINIMUM_GROUP = 5


def is_reviewed(answer: Mapping[str, Any] | None) -> bool:
    """A criterion counts as reviewed only when it has a rating and some commentary."""
    return bool(answer) and answer.get("rating") is not None and bool(str(answer.get("commentary") or "").strip())


@dataclass(frozen=True)
class HeadingResult:
    heading: Heading
    reviewed: int
    total: int
    score: float | None  # mean rating of the rated criteria, None when none are rated
    judgement: Judgement | None

    @property
    def share_reviewed(self) -> float:
        return self.reviewed / self.total if self.total else 0.0


@dataclass(frozen=True)
class Analysis:
    framework: Framework
    headings: tuple[HeadingResult, ...]
    strengths: tuple[Criterion, ...]
    developments: tuple[Criterion, ...]

    @property
    def reviewed(self) -> int:
        return sum(result.reviewed for result in self.headings)

    @property
    def total(self) -> int:
        return sum(result.total for result in self.headings)

    def missing_required(self, answers: Answers) -> tuple[Criterion, ...]:
        return tuple(c for c in self.framework.criteria if c.required and not is_reviewed(answers.get(c.id)))


def _rating(answers: Answers, criterion: Criterion) -> int | None:
    answer = answers.get(criterion.id) or {}
    rating = answer.get("rating")
    return rating if isinstance(rating, int) and not isinstance(rating, bool) else None


def analyse(framework: Framework, answers: Answers) -> Analysis:
    """Scores, progress and judgements from the framework's own scale and thresholds."""
    results = []
    strengths: list[Criterion] = []
    developments: list[Criterion] = []
    for heading in framework.headings:
        ratings = [r for c in heading.criteria if (r := _rating(answers, c)) is not None]
        score = round(fmean(ratings), 2) if ratings else None
        results.append(
            HeadingResult(
                heading=heading,
                reviewed=sum(1 for c in heading.criteria if is_reviewed(answers.get(c.id))),
                total=len(heading.criteria),
                score=score,
                judgement=framework.thresholds.judge(score) if score is not None else None,
            )
        )
        for criterion in heading.criteria:
            rating = _rating(answers, criterion)
            if rating is None:
                continue
            judgement = framework.thresholds.judge(rating)
            if judgement == "strength":
                strengths.append(criterion)
            elif judgement == "development":
                developments.append(criterion)
    return Analysis(framework, tuple(results), tuple(strengths), tuple(developments))


def group_average(framework: Framework, answer_sets: Sequence[Answers]) -> dict[str, float] | None:
    """The mean heading score across schools, or None for fewer than MINIMUM_GROUP schools."""
    if len(answer_sets) < MINIMUM_GROUP:
        return None
    averages: dict[str, float] = {}
    for heading in framework.headings:
        scores = [
            result.score
            for answers in answer_sets
            for result in analyse(framework, answers).headings
            if result.heading.id == heading.id and result.score is not None
        ]
        if len(scores) >= MINIMUM_GROUP:
            averages[heading.id] = round(fmean(scores), 2)
    return averages
