"""How the criteria of one version of a framework lead to those of a later one.

A criterion's ID keeps its meaning forever. Between two consecutive versions a criterion either carries on
under the same ID (perhaps reworded, perhaps under another heading), or the newer version's crosswalk says
where its answers go: replaced by one criterion, split into several, merged with others into one, or
retired. `routes` follows those steps across any number of versions, so a self-evaluation made against
version 1 can be carried to version 3, and a year-on-year comparison can tell which criteria still mean
the same thing.

Pure: works on loaded `Framework` objects only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from .model import Content, Criterion, Framework

Step = Literal["reworded", "replaced", "split", "merged"]


@dataclass(frozen=True)
class Route:
    """An answer to `source_id` (older version) belongs to `target_id` (newer version). `steps` lists what
    happened on the way, in order; empty when the criterion means exactly what it did."""

    source_id: str
    target_id: str
    steps: tuple[Step, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the school should look at its answer again ("updated since you last reviewed")."""
        return bool(self.steps)


def reworded(before: Criterion, after: Criterion) -> bool:
    """Whether the criterion asks something different: its statement changed (guidance, examples and the
    next-level text help the school answer; they do not change the question)."""
    return " ".join(before.statement.split()) != " ".join(after.statement.split())


def next_step(old: Framework, new: Framework) -> dict[str, tuple[Route, ...]]:
    """For every criterion of `old`, where its answer goes in `new`, the version straight after it.
    An empty tuple means the criterion was retired."""
    crosswalk = new.changes.crosswalk if new.changes else ()
    new_criteria = {criterion.id: criterion for criterion in new.criteria}
    result: dict[str, tuple[Route, ...]] = {}
    for criterion in old.criteria:
        routes: list[Route] = []
        if criterion.id in new_criteria:
            after = new_criteria[criterion.id]
            routes.append(Route(criterion.id, after.id, ("reworded",) if reworded(criterion, after) else ()))
        for entry in crosswalk:
            if criterion.id not in entry.old_ids or entry.kind == "retired":
                continue
            for target in entry.new_ids:
                if target != criterion.id and target in new_criteria:
                    routes.append(Route(criterion.id, target, (entry.kind,)))
        result[criterion.id] = tuple(routes)
    return result


def routes(content: Content, framework_id: str, from_version: int, to_version: int) -> dict[str, tuple[Route, ...]]:
    """For every criterion of `from_version`, where its answer goes in `to_version` (a later or the same
    version), following each version's crosswalk in turn. An empty tuple means it was retired on the way."""
    if to_version < from_version:
        raise ValueError("Answers are only carried forward, to a later version.")
    versions = [v for v in content.versions_of(framework_id) if from_version <= v.version <= to_version]
    start = content.framework(framework_id, from_version)
    current: dict[str, tuple[Route, ...]] = {c.id: (Route(c.id, c.id),) for c in start.criteria}
    for older, newer in pairwise(versions):
        step = next_step(older, newer)
        current = {
            source: _dedupe(
                Route(source, onward.target_id, route.steps + onward.steps)
                for route in found
                for onward in step.get(route.target_id, ())
            )
            for source, found in current.items()
        }
    return current


def _dedupe(found: Iterable[Route]) -> tuple[Route, ...]:
    """One route per target: where two paths reach the same criterion, the one with fewer changes."""
    best: dict[str, Route] = {}
    for route in found:
        kept = best.get(route.target_id)
        if kept is None or len(route.steps) < len(kept.steps):
            best[route.target_id] = route
    return tuple(best.values())


def new_criteria(content: Content, framework_id: str, from_version: int, to_version: int) -> tuple[str, ...]:
    """Criteria of `to_version` that no criterion of `from_version` leads to, in framework order."""
    found = routes(content, framework_id, from_version, to_version)
    reached = {route.target_id for carried in found.values() for route in carried}
    return tuple(c.id for c in content.framework(framework_id, to_version).criteria if c.id not in reached)


def comparable(content: Content, framework_id: str, version_a: int, version_b: int) -> frozenset[str]:
    """Criterion IDs whose answers in the two versions can be compared year on year: the same ID in both,
    reached without rewording on the way, and neither split into others nor merged with others."""
    low, high = sorted((version_a, version_b))
    found = routes(content, framework_id, low, high)
    arrivals: dict[str, int] = {}
    for carried in found.values():
        for route in carried:
            arrivals[route.target_id] = arrivals.get(route.target_id, 0) + 1
    return frozenset(
        source
        for source, carried in found.items()
        if [(route.target_id, route.changed) for route in carried] == [(source, False)] and arrivals[source] == 1
    )
