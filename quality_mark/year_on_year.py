"""Year-on-year comparison: a school's (or the LA's) scores per heading across cycles, like for like.

A cycle's self-evaluation is made against one version of its framework. Between versions a criterion may be
reworded, replaced, split, merged, new or retired; its answers then do not mean the same thing as before, so
it is "not comparable" and left out of the like-for-like score (criteria that mean the same in both versions
and sit under the same heading in both). The full score, over every rated criterion of the heading in that
cycle's own version, is shown beside it. Which criteria still mean the same comes from
`versions.comparable`, the same rules that carry answers from one version to the next.

Headings are matched by their ID; a heading that exists in only some versions shows a gap in the others.

Pure: works on loaded `Content`/`Framework` objects and plain ratings ({criterion id: rating}).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import fmean
from typing import Literal

from .analysis import MINIMUM_GROUP
from .model import Content, Framework
from .versions import comparable, reworded

Ratings = Mapping[str, int]
Likeness = Literal["same", "partly", "none"]


@dataclass(frozen=True)
class CycleRatings:
    """One cycle's ratings for one school: the framework version they were given against, the self-evaluation's
    status, and whether they are the LA's moderated ratings (True) or the school's own (False)."""

    cycle_id: str
    cycle_title: str
    framework: Framework
    ratings: Ratings
    status: str
    moderated: bool = False


def _valid(framework: Framework, rating: object) -> bool:
    return isinstance(rating, int) and not isinstance(rating, bool) and rating in framework.rating_scale.values


def _mean(values: Sequence[float]) -> float | None:
    return round(fmean(values), 2) if values else None


# Which criteria can be compared, and when they changed ---------------------------------------------------


def same_scale(a: Framework, b: Framework) -> bool:
    """Whether ratings given on the two versions' scales mean the same (same values, same labels)."""
    return [(level.value, level.label) for level in a.rating_scale.levels] == [
        (level.value, level.label) for level in b.rating_scale.levels
    ]


class Pairs:
    """Which criteria two versions share, worked out once per pair of versions (a comparison across many
    schools asks the same question many times)."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self._same: dict[tuple[str, int, int], frozenset[str]] = {}

    def same(self, a: Framework, b: Framework) -> frozenset[str]:
        """Criterion IDs that mean the same in both versions; none when the rating scale changed."""
        low, high = sorted((a.version, b.version))
        found = self._same.get((a.id, low, high))
        if found is None:
            found = comparable(self.content, a.id, low, high) if same_scale(a, b) else frozenset()
            self._same[a.id, low, high] = found
        return found

    def shared(self, a: Framework, b: Framework, heading_id: str) -> tuple[str, ...]:
        """The heading's criteria that can be compared like for like between the two versions: the same
        meaning, and under this heading in both. In the newer version's order."""
        same = self.same(a, b)
        older, newer = sorted((a, b), key=lambda f: f.version)
        ids_in = {c.id for h in older.headings if h.id == heading_id for c in h.criteria}
        return tuple(
            c.id for h in newer.headings if h.id == heading_id for c in h.criteria if c.id in same and c.id in ids_in
        )


def changed_in(content: Content, framework_id: str, criterion_id: str, version_a: int, version_b: int) -> int | None:
    """The first version after the older of the two in which the criterion changed meaning (reworded, replaced,
    split, merged, new or retired) or the rating scale changed; None when it did not change between them."""
    low, high = sorted((version_a, version_b))
    versions = [f for f in content.versions_of(framework_id) if low <= f.version <= high]
    for older, newer in pairwise(versions):
        if not same_scale(older, newer):
            return newer.version
        before = {c.id: c for c in older.criteria}
        after = {c.id: c for c in newer.criteria}
        if (criterion_id in before) != (criterion_id in after):
            return newer.version
        if criterion_id in before and reworded(before[criterion_id], after[criterion_id]):
            return newer.version
        for entry in newer.changes.crosswalk if newer.changes else ():
            if criterion_id in entry.old_ids or criterion_id in entry.new_ids:
                return newer.version
    return None


# One school --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadingCycle:
    """One heading in one cycle. `present` is False when the cycle's version has no such heading (a gap).

    `score` is the mean of the heading's rated criteria in the cycle's own version and `rated` how many that
    is. `likeness` says how the heading compares with the most recent cycle; `like_score`/`like_rated` are this
    cycle's score over the criteria shared with it, `latest_like_score` the most recent cycle's score over the
    same criteria, and `left_out` the heading's criteria (in this cycle's version) that are not comparable."""

    cycle: CycleRatings
    present: bool
    score: float | None
    rated: int
    likeness: Likeness
    like_score: float | None
    like_rated: int
    latest_like_score: float | None
    left_out: tuple[str, ...]


@dataclass(frozen=True)
class HeadingComparison:
    heading_id: str
    title: str
    cycles: tuple[HeadingCycle, ...]  # oldest first; the last is the most recent cycle


@dataclass(frozen=True)
class CriterionCell:
    """One criterion in one cycle. `present`: the cycle's version has the criterion. `rating` is None when it
    was not rated. `changed_in` is the version in which the criterion changed meaning between this cycle and
    the most recent one (None when comparable, and always None for the most recent cycle itself)."""

    cycle: CycleRatings
    present: bool
    rating: int | None
    label: str
    changed_in: int | None

    @property
    def comparable(self) -> bool:
        return self.changed_in is None


@dataclass(frozen=True)
class CriterionRow:
    criterion_id: str
    statement: str  # the newest wording among the cycles that have the criterion
    heading_id: str  # where it sits in the newest version that has it
    cells: tuple[CriterionCell, ...]


@dataclass(frozen=True)
class Comparison:
    cycles: tuple[CycleRatings, ...]  # oldest first
    headings: tuple[HeadingComparison, ...]
    criteria: tuple[CriterionRow, ...]

    @property
    def latest(self) -> CycleRatings:
        return self.cycles[-1]

    def criteria_under(self, heading_id: str) -> tuple[CriterionRow, ...]:
        return tuple(row for row in self.criteria if row.heading_id == heading_id)


def heading_order(frameworks: Sequence[Framework]) -> list[tuple[str, str]]:
    """(heading id, title) across versions: the newest version's headings in its order, then headings found
    only in older versions, newest first. The title is the newest version's."""
    found: dict[str, str] = {}
    for framework in sorted(frameworks, key=lambda f: f.version, reverse=True):
        for heading in framework.headings:
            found.setdefault(heading.id, heading.title)
    return list(found.items())


def _heading_figures(pairs: Pairs, cycle: CycleRatings, latest: CycleRatings, heading_id: str) -> HeadingCycle:
    framework, ratings = cycle.framework, cycle.ratings
    ids = [c.id for h in framework.headings if h.id == heading_id for c in h.criteria]
    present = any(h.id == heading_id for h in framework.headings)
    latest_ids = [c.id for h in latest.framework.headings if h.id == heading_id for c in h.criteria]
    full = [ratings[cid] for cid in ids if _valid(framework, ratings.get(cid))]
    if not present or not latest_ids:
        shared: tuple[str, ...] = ()
    else:
        shared = pairs.shared(framework, latest.framework, heading_id)
    like = [ratings[cid] for cid in shared if _valid(framework, ratings.get(cid))]
    latest_like = [latest.ratings[cid] for cid in shared if _valid(latest.framework, latest.ratings.get(cid))]
    if shared and set(shared) == set(ids) == set(latest_ids):
        likeness: Likeness = "same"
    else:
        likeness = "partly" if shared else "none"
    return HeadingCycle(
        cycle=cycle,
        present=present,
        score=_mean(full),
        rated=len(full),
        likeness=likeness,
        like_score=_mean(like),
        like_rated=len(like),
        latest_like_score=_mean(latest_like),
        left_out=tuple(cid for cid in ids if cid not in shared),
    )


def compare(content: Content, cycles: Sequence[CycleRatings]) -> Comparison:
    """Per heading and per criterion, each cycle beside the most recent one (the last of `cycles`, which are
    oldest first). Every cycle must be of the same framework; raises ValueError for none or a mix."""
    if not cycles:
        raise ValueError("There is nothing to compare without a cycle.")
    if len({cycle.framework.id for cycle in cycles}) != 1:
        raise ValueError("A year-on-year comparison is within one framework.")
    cycles = tuple(cycles)
    latest = cycles[-1]
    frameworks = [cycle.framework for cycle in cycles]
    pairs = Pairs(content)
    headings = tuple(
        HeadingComparison(heading_id, title, tuple(_heading_figures(pairs, c, latest, heading_id) for c in cycles))
        for heading_id, title in heading_order(frameworks)
    )
    return Comparison(cycles, headings, _criterion_rows(pairs, cycles, heading_order(frameworks)))


def _criterion_rows(
    pairs: Pairs, cycles: tuple[CycleRatings, ...], headings: list[tuple[str, str]]
) -> tuple[CriterionRow, ...]:
    latest = cycles[-1]
    newest_first = sorted({c.framework.version: c.framework for c in cycles}.values(), key=lambda f: -f.version)
    placed: dict[str, tuple[str, str]] = {}  # criterion id -> (statement, heading id), from its newest version
    for framework in newest_first:
        for heading in framework.headings:
            for criterion in heading.criteria:
                placed.setdefault(criterion.id, (criterion.statement, heading.id))
    order = {heading_id: index for index, (heading_id, _) in enumerate(headings)}
    ordered = sorted(placed, key=lambda cid: order[placed[cid][1]])  # stable: newest version's order within
    rows = []
    for criterion_id in ordered:
        cells = []
        for cycle in cycles:
            framework = cycle.framework
            present = any(c.id == criterion_id for c in framework.criteria)
            rating = cycle.ratings.get(criterion_id) if present else None
            rating = rating if _valid(framework, rating) else None
            label = framework.rating_scale.label_for(rating) if rating is not None else ""
            changed = None
            if cycle is not latest and criterion_id not in pairs.same(framework, latest.framework):
                versions = (framework.version, latest.framework.version)
                changed = changed_in(pairs.content, framework.id, criterion_id, *versions) or max(versions)
            cells.append(CriterionCell(cycle, present, rating, label, changed))
        statement, heading_id = placed[criterion_id]
        rows.append(CriterionRow(criterion_id, statement, heading_id, tuple(cells)))
    return tuple(rows)


# The LA ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """One school's submitted self-evaluation in one cycle, as the LA counts it (moderated where moderated)."""

    urn: str
    cycle_id: str
    framework: Framework
    ratings: Ratings


@dataclass(frozen=True)
class LaCycleFigure:
    """One heading in one cycle across the LA. `schools` have a score for the heading (`average` is theirs);
    `like_schools` have a like-for-like score against the reference version (`like_average` is theirs)."""

    cycle_id: str
    cycle_title: str
    versions: tuple[int, ...]
    submitted: int  # schools that submitted in the cycle, whether or not they rated this heading
    schools: int
    average: float | None
    like_schools: int
    like_average: float | None

    @property
    def small(self) -> bool:
        return self.schools < MINIMUM_GROUP

    @property
    def like_small(self) -> bool:
        return self.like_schools < MINIMUM_GROUP


@dataclass(frozen=True)
class LaHeading:
    heading_id: str
    title: str
    cycles: tuple[LaCycleFigure, ...]


@dataclass(frozen=True)
class LaComparison:
    """Per heading and cycle across the LA's schools for one framework. Like-for-like figures are against
    `reference` (the newest version used in the most recent cycle with submissions); `versions_differ` says
    whether any submission used another version, the only case in which they differ from the full figures."""

    framework_id: str
    reference: Framework | None
    versions_differ: bool
    headings: tuple[LaHeading, ...]


def la_compare(
    content: Content, framework_id: str, cycles: Sequence[tuple[str, str]], submitted: Sequence[Submitted]
) -> LaComparison:
    """The LA's figures for one framework: `cycles` are (id, title) oldest first; `submitted` every school's
    submitted self-evaluation (at most one per school and cycle; others of other frameworks are ignored)."""
    mine = [s for s in submitted if s.framework.id == framework_id]
    by_cycle = {cycle_id: [s for s in mine if s.cycle_id == cycle_id] for cycle_id, _ in cycles}
    recent = next((by_cycle[cycle_id] for cycle_id, _ in reversed(cycles) if by_cycle[cycle_id]), [])
    reference = max((s.framework for s in recent), key=lambda f: f.version, default=None)
    used = [s.framework for s in mine]
    frameworks = used or list(content.versions_of(framework_id)[-1:])
    versions_differ = reference is not None and any(f.version != reference.version for f in used)
    pairs = Pairs(content)
    headings = []
    for heading_id, title in heading_order(frameworks):
        figures = []
        for cycle_id, cycle_title in cycles:
            scores, like = [], []
            for school in by_cycle[cycle_id]:
                mine_ids = [c.id for h in school.framework.headings if h.id == heading_id for c in h.criteria]
                rated = [school.ratings[c] for c in mine_ids if _valid(school.framework, school.ratings.get(c))]
                if rated:
                    scores.append(fmean(rated))
                if reference is None or not any(h.id == heading_id for h in reference.headings):
                    continue
                if not any(h.id == heading_id for h in school.framework.headings):
                    continue
                shared = pairs.shared(school.framework, reference, heading_id)
                alike = [school.ratings[c] for c in shared if _valid(school.framework, school.ratings.get(c))]
                if alike:
                    like.append(fmean(alike))
            figures.append(
                LaCycleFigure(
                    cycle_id=cycle_id,
                    cycle_title=cycle_title,
                    versions=tuple(sorted({s.framework.version for s in by_cycle[cycle_id]})),
                    submitted=len(by_cycle[cycle_id]),
                    schools=len(scores),
                    average=_mean(scores),
                    like_schools=len(like),
                    like_average=_mean(like),
                )
            )
        headings.append(LaHeading(heading_id, title, tuple(figures)))
    return LaComparison(framework_id, reference, versions_differ, tuple(headings))


def la_rows(comparison: LaComparison, framework_title: str) -> list[list[str]]:
    """The LA table as rows for a spreadsheet, headed; small groups are marked in the last column."""
    rows = [
        [
            "Framework",
            "Heading",
            "Cycle",
            "Framework versions",
            "Schools submitted",
            "Schools with a score",
            "Average score",
            "Schools like for like",
            "Like-for-like average",
            "Note",
        ]
    ]
    for heading in comparison.headings:
        for figure in heading.cycles:
            note = f"Fewer than {MINIMUM_GROUP} schools: do not share" if figure.small and figure.schools else ""
            rows.append(
                [
                    framework_title,
                    heading.title,
                    figure.cycle_title,
                    ", ".join(str(v) for v in figure.versions),
                    str(figure.submitted),
                    str(figure.schools),
                    "" if figure.average is None else f"{figure.average:g}",
                    str(figure.like_schools) if comparison.versions_differ else "",
                    "" if figure.like_average is None or not comparison.versions_differ else f"{figure.like_average:g}",
                    note,
                ]
            )
    return rows
