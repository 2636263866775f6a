"""Insight across schools: a heatmap of heading scores, rating distributions, best practice, and matching
schools that need help with schools that are strong, nearest first.

Pure functions of a framework and a list of `SchoolRatings` (each school's latest submitted ratings, moderated
where the LA moderated them), so the LA's pages, its exports and the shareable summary all agree. Scores and
judgements come from `analysis` (the framework's own scale and thresholds); small groups are judged by the
same `MINIMUM_GROUP` that keeps the LA average from identifying a school.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import TypeVar

from .analysis import MINIMUM_GROUP, analyse
from .model import Criterion, Framework, Heading, Judgement

T = TypeVar("T")

JUDGEMENT_WORDS: dict[Judgement | None, str] = {
    "strength": "Strength",
    "development": "Area for development",
    None: "In between",
}


@dataclass(frozen=True)
class SchoolRatings:
    """One school as insight sees it: where it is, and the ratings of its latest submission (moderated).

    `heading_scores` are by heading id, worked out by `heading_scores` when the summary was made.
    Easting and northing are Ordnance Survey grid references in metres, when the school list had them.
    """

    urn: str
    name: str
    phase: str
    framework: str
    postcode: str
    ratings: Mapping[str, int]
    heading_scores: Mapping[str, float] = field(default_factory=dict)
    easting: float | None = None
    northing: float | None = None
    moderated: bool = False

    @property
    def has_coordinates(self) -> bool:
        return self.easting is not None and self.northing is not None


def heading_scores(framework: Framework, ratings: Mapping[str, int]) -> dict[str, float]:
    """Each rated heading's score (the mean rating of its rated criteria), from `analysis.analyse`."""
    result = analyse(framework, {cid: {"rating": rating} for cid, rating in ratings.items()})
    return {heading.heading.id: heading.score for heading in result.headings if heading.score is not None}


def judgement_word(framework: Framework, score: float | None) -> str:
    """'Strength', 'Area for development' or 'In between', by the framework's thresholds; '' for no score."""
    return "" if score is None else JUDGEMENT_WORDS[framework.thresholds.judge(score)]


# Suppression --------------------------------------------------------------------------------------------


def is_small(count: int) -> bool:
    """A group of fewer than MINIMUM_GROUP schools could identify a school: hidden beyond the LA, marked within."""
    return count < MINIMUM_GROUP


def shareable(group: Sequence[T]) -> Sequence[T] | None:
    """The group itself when it may be shown beyond the LA, or None when it is too small to show."""
    return None if is_small(len(group)) else group


# Filters --------------------------------------------------------------------------------------------------


def in_filter(schools: Sequence[SchoolRatings], framework_id: str, phase: str | None) -> list[SchoolRatings]:
    """The schools of one framework, and of one phase when `phase` is given (compared without case)."""
    wanted = phase.casefold() if phase else None
    return [
        school
        for school in schools
        if school.framework == framework_id and (wanted is None or school.phase.casefold() == wanted)
    ]


def phases(schools: Sequence[SchoolRatings], framework_id: str) -> list[str]:
    """The phases of the framework's schools, as the school list spells them, sorted."""
    return sorted({school.phase for school in schools if school.framework == framework_id}, key=str.casefold)


# Heatmap --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatmapCell:
    heading: Heading
    score: float | None
    judgement: Judgement | None


@dataclass(frozen=True)
class HeatmapRow:
    school: SchoolRatings
    cells: tuple[HeatmapCell, ...]


def heatmap(framework: Framework, schools: Sequence[SchoolRatings]) -> tuple[HeatmapRow, ...]:
    """A row per school (by name, then URN), a cell per heading of the framework: its score and judgement."""
    rows = []
    for school in sorted(schools, key=lambda s: (s.name.casefold(), s.urn)):
        cells = []
        for heading in framework.headings:
            score = school.heading_scores.get(heading.id)
            judgement = framework.thresholds.judge(score) if score is not None else None
            cells.append(HeatmapCell(heading, score, judgement))
        rows.append(HeatmapRow(school, tuple(cells)))
    return tuple(rows)


def heading_means(framework: Framework, schools: Sequence[SchoolRatings]) -> dict[str, tuple[float, int]]:
    """Per heading: (mean score across the schools that have one, how many schools that is)."""
    means = {}
    for heading in framework.headings:
        scores = [s.heading_scores[heading.id] for s in schools if heading.id in s.heading_scores]
        if scores:
            means[heading.id] = (round(fmean(scores), 2), len(scores))
    return means


# Distributions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """How many schools gave each rating to one criterion. `counts` follows the framework's scale."""

    criterion: Criterion
    counts: tuple[tuple[int, int], ...]  # (rating value, number of schools)

    @property
    def rated(self) -> int:
        return sum(count for _, count in self.counts)

    @property
    def small(self) -> bool:
        return is_small(self.rated)


def distributions(framework: Framework, schools: Sequence[SchoolRatings]) -> tuple[Distribution, ...]:
    """For each criterion of the framework, in order, the number of schools at each rating."""
    tallies: dict[str, Counter[int]] = {criterion.id: Counter() for criterion in framework.criteria}
    for school in schools:
        for criterion_id, rating in school.ratings.items():
            tally = tallies.get(criterion_id)
            if tally is not None:
                tally[rating] += 1
    values = framework.rating_scale.values
    return tuple(
        Distribution(criterion, tuple((value, tallies[criterion.id][value]) for value in values))
        for criterion in framework.criteria
    )


# Best practice -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    school: SchoolRatings
    score: float
    judgement: Judgement | None


def best_practice(
    framework: Framework,
    schools: Sequence[SchoolRatings],
    *,
    heading_id: str | None = None,
    criterion_id: str | None = None,
) -> tuple[Ranked, ...]:
    """The schools with a score for the heading (or rating for the criterion), strongest first, then by name.

    Exactly one of `heading_id` and `criterion_id` must be given; an id the framework lacks raises KeyError.
    """
    if (heading_id is None) == (criterion_id is None):
        raise ValueError("give a heading or a criterion")
    if heading_id is not None:
        framework.heading(heading_id)
    else:
        framework.criterion(criterion_id)  # type: ignore[arg-type]
    ranked = []
    for school in schools:
        score = school.heading_scores.get(heading_id) if heading_id else school.ratings.get(criterion_id)  # type: ignore[arg-type]
        if score is not None:
            ranked.append(Ranked(school, score, framework.thresholds.judge(score)))
    return tuple(sorted(ranked, key=lambda r: (-r.score, r.school.name.casefold(), r.school.urn)))


# Distance and matching -----------------------------------------------------------------------------------


def distance_km(a: SchoolRatings, b: SchoolRatings) -> float | None:
    """Straight-line distance between two schools in kilometres, from their grid references; None without them."""
    if not (a.has_coordinates and b.has_coordinates):
        return None
    return math.hypot(a.easting - b.easting, a.northing - b.northing) / 1000  # type: ignore[operator]


def postcode_district(postcode: str) -> str:
    """The outward part of a postcode: 'AB1 2CD' -> 'AB1', 'AB12CD' -> 'AB1'."""
    compact = postcode.upper().replace(" ", "")
    return compact[:-3] if len(compact) > 3 else compact


def _district_order(district: str) -> tuple[str, int, str]:
    """Districts in the order people expect: AB2 before AB10."""
    match = re.fullmatch(r"([A-Z]+)(\d+)(.*)", district)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (district, 0, "")


def nearness(origin: SchoolRatings, other: SchoolRatings) -> tuple:
    """A sort key: schools with grid references by distance; then the rest by postcode district, the
    origin's own district first."""
    distance = distance_km(origin, other)
    if distance is not None:
        return (0, distance, "", 0, "", other.name.casefold())
    district = postcode_district(other.postcode)
    same = 0 if district == postcode_district(origin.postcode) else 1
    return (1, same, *_district_order(district), other.name.casefold())


@dataclass(frozen=True)
class Partner:
    school: SchoolRatings
    rating: int
    distance_km: float | None


@dataclass(frozen=True)
class DevelopmentMatch:
    """One of a school's areas for development, and schools rated a strength there, nearest first."""

    criterion: Criterion
    rating: int
    partners: tuple[Partner, ...]


def matches(
    framework: Framework, school: SchoolRatings, schools: Sequence[SchoolRatings], limit: int = 5
) -> tuple[DevelopmentMatch, ...]:
    """For each of the school's areas for development (framework order), up to `limit` other schools of the same
    framework whose rating there is a strength, nearest first."""
    others = [other for other in schools if other.urn != school.urn and other.framework == school.framework]
    found = []
    for criterion in analyse(framework, {cid: {"rating": r} for cid, r in school.ratings.items()}).developments:
        strong = [
            other
            for other in others
            if criterion.id in other.ratings and framework.thresholds.judge(other.ratings[criterion.id]) == "strength"
        ]
        strong.sort(key=lambda other: nearness(school, other))
        partners = tuple(Partner(o, o.ratings[criterion.id], distance_km(school, o)) for o in strong[:limit])
        found.append(DevelopmentMatch(criterion, school.ratings[criterion.id], partners))
    return tuple(found)


# The shareable summary -----------------------------------------------------------------------------------

SUPPRESSED = "Fewer than 5 schools: not shown"


def shareable_summary(framework: Framework, schools: Sequence[SchoolRatings]) -> list[list[str]]:
    """Rows a school or anyone beyond the LA may see: for all the framework's schools and for each phase, the
    number of schools, the mean score per heading and the number of schools at each rating per criterion.
    Any group (or criterion) with fewer than MINIMUM_GROUP schools is replaced by SUPPRESSED."""
    scale = framework.rating_scale.values
    rows = [
        ["Group", "Schools", "Heading or criterion", "Mean score", *(f"Rated {value}" for value in scale)],
    ]
    groups = [("All phases", in_filter(schools, framework.id, None))]
    groups += [(phase, in_filter(schools, framework.id, phase)) for phase in phases(schools, framework.id)]
    for name, group in groups:
        label = f"{framework.title}: {name}"
        if shareable(group) is None:
            rows.append([label, SUPPRESSED, "", "", *("" for _ in scale)])
            continue
        means = heading_means(framework, group)
        for heading in framework.headings:
            mean, count = means.get(heading.id, (None, 0))
            shown = "" if mean is None or is_small(count) else f"{mean:g}"
            rows.append([label, str(len(group)), heading.title, shown or SUPPRESSED, *("" for _ in scale)])
        for distribution in distributions(framework, group):
            counts = (
                [SUPPRESSED, *("" for _ in scale[1:])]
                if distribution.small
                else [str(count) for _, count in distribution.counts]
            )
            rows.append([label, str(len(group)), distribution.criterion.id, "", *counts])
    return rows
