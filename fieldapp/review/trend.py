"""Safety-scale ratings over time, one line per person, laid out on the server so no JavaScript is needed.

Each person keeps their own line: disagreement between a parent's 8 and a worker's 3 is the point of
the scale, so ratings are never averaged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .display import RecordDisplay, long_date

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
MARKERS = ("circle", "square", "diamond", "triangle")  # shapes as well as colours: never colour alone
SERIES_STYLES = 6


@dataclass
class Series:
    name: str
    rated_by: str
    style: int
    points: list[tuple[date, int]] = field(default_factory=list)
    plotted: list[tuple[float, float, date, int]] = field(default_factory=list)

    @property
    def marker(self) -> str:
        return MARKERS[self.style % len(MARKERS)]

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _day, _score in self.plotted)

    @property
    def summary(self) -> str:
        readings = "; ".join(f"{score} on {long_date(day.isoformat())}" for day, score in self.points)
        return f"{self.name} ({self.rated_by}): {readings}."


@dataclass
class Trend:
    series: list[Series]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def description(self) -> str:
        return " ".join(series.summary for series in self.series)

    @property
    def rows(self) -> list[tuple[date, str, str, int]]:
        """(date, person, who they are, rating) for the data table, oldest first."""
        return sorted((day, s.name, s.rated_by, score) for s in self.series for day, score in s.points)


def ratings_trend(bodies: list[dict]) -> Trend | None:
    """The trend of every person's ratings across `bodies` (safety_rating records), or None if there are none."""
    display = RecordDisplay("safety_rating")
    people: dict[tuple[str, str], Series] = {}
    for body in bodies:
        day = _day(body.get("rated_on"))
        if day is None:
            continue
        for rating in body.get("ratings", []):
            key = (rating["rated_by"], rating["name"].strip())
            if key not in people:
                people[key] = Series(
                    rating["name"].strip(),
                    display.scalar("ratings.rated_by", rating["rated_by"]),
                    len(people) % SERIES_STYLES,
                )
            people[key].points.append((day, rating["score"]))
    if not people:
        return None
    for series in people.values():
        series.points.sort()
    days = sorted({day for series in people.values() for day, _score in series.points})
    x_of = _x_scale(days)
    for series in people.values():
        series.plotted = [(x_of(day), _y(score), day, score) for day, score in series.points]
    x_ticks = [(x_of(day), day.strftime("%-d %b %Y")) for day in _spread(days, 6)]
    y_ticks = [(_y(score), score) for score in range(0, 11, 2)]
    return Trend(list(people.values()), x_ticks, y_ticks)


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _x_scale(days: list[date]):
    first, last = days[0].toordinal(), days[-1].toordinal()
    span = (WIDTH - RIGHT - 24) - (LEFT + 24)
    if first == last:
        return lambda day: LEFT + 24 + span / 2
    return lambda day: LEFT + 24 + span * (day.toordinal() - first) / (last - first)


def _y(score: int) -> float:
    return TOP + (HEIGHT - BOTTOM - TOP) * (10 - score) / 10


def _spread(days: list[date], count: int) -> list[date]:
    """At most `count` tick dates, always the first and last."""
    if len(days) <= count:
        return days
    step = (len(days) - 1) / (count - 1)
    return [days[round(i * step)] for i in range(count)]
