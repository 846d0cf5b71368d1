"""Delivery figures for /metrics: how long the oldest signed-off record has waited, and jobs by state."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from ..models import utcnow
from . import queue


class DeliveryCollector:
    """Read at scrape time from the database, so every web process reports the same figures."""

    def collect(self):
        yield GaugeMetricFamily(
            "fieldapp_delivery_oldest_undelivered_seconds",
            "Age of the oldest export job not yet delivered (0 when none waits).",
            value=queue.oldest_undelivered_age(utcnow()),
        )
        jobs = GaugeMetricFamily("fieldapp_delivery_jobs", "Export jobs by state.", labels=["state"])
        for state, count in queue.queue_counts().items():
            jobs.add_metric([state], count)
        yield jobs
