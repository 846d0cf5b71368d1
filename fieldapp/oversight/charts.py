"""Server-rendered SVG bar charts: geometry here, markup in templates/oversight/_charts.html.

Every chart also has a text description and sits beside a data table: the picture is never the only way in.
"""

from __future__ import annotations

from .caseloads import WorkerLoad

LABEL_WIDTH = 190  # px of the 720-wide viewBox kept for names on the left
PLOT_WIDTH = 440
ROW_HEIGHT = 30


def _scale(largest: int) -> float:
    return PLOT_WIDTH / max(largest, 1)


def caseload_chart(loads: list[WorkerLoad]) -> dict:
    """One bar per worker with a tick at their own limit; over-limit bars are marked in words as well as colour."""
    per_unit = _scale(max([load.count for load in loads] + [load.limit for load in loads], default=1))
    bars = [
        {
            "label": load.name,
            "y": 10 + i * ROW_HEIGHT,
            "width": round(load.count * per_unit, 1),
            "limit_x": round(LABEL_WIDTH + load.limit * per_unit, 1),
            "over": load.over_limit,
            "text_x": round(LABEL_WIDTH + max(load.count, load.limit) * per_unit + 8, 1),
            "text": f"{load.count} of {load.limit}" + (" — over limit" if load.over_limit else ""),
        }
        for i, load in enumerate(loads)
    ]
    over = [load for load in loads if load.over_limit]
    summary = (
        f"{len(over)} of {len(loads)} workers are over their caseload limit"
        + (": " + "; ".join(f"{load.name} {load.count} of {load.limit}" for load in over) if over else "")
        + "."
    )
    return {"bars": bars, "height": 20 + len(bars) * ROW_HEIGHT, "x0": LABEL_WIDTH, "summary": summary}


def due_chart(by_worker: list[dict]) -> dict:
    """Two bars per worker: overdue visits and visits due within 7 days."""
    per_unit = _scale(max([row["overdue"] for row in by_worker] + [row["due_soon"] for row in by_worker], default=1))
    bars = []
    for i, row in enumerate(by_worker):
        y = 10 + i * ROW_HEIGHT * 2
        bars.append(
            {
                "label": row["worker"],
                "y": y,
                "overdue_width": round(row["overdue"] * per_unit, 1),
                "soon_width": round(row["due_soon"] * per_unit, 1),
                "overdue": row["overdue"],
                "overdue_text_x": round(LABEL_WIDTH + row["overdue"] * per_unit + 8, 1),
                "soon_text_x": round(LABEL_WIDTH + row["due_soon"] * per_unit + 8, 1),
                "due_soon": row["due_soon"],
            }
        )
    total_overdue = sum(row["overdue"] for row in by_worker)
    total_soon = sum(row["due_soon"] for row in by_worker)
    summary = (
        f"{total_overdue} statutory visits overdue and {total_soon} due within 7 days"
        + (
            ": "
            + "; ".join(
                f"{r['worker']} {r['overdue']} overdue, {r['due_soon']} due soon"
                for r in by_worker
                if r["overdue"] or r["due_soon"]
            )
            if by_worker
            else ""
        )
        + "."
    )
    return {"bars": bars, "height": 20 + len(bars) * ROW_HEIGHT * 2, "x0": LABEL_WIDTH, "summary": summary}
