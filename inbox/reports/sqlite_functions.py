"""``CONVERSE_PERCENTILE(value, fraction)`` for SQLite, which has no ``percentile_cont``.

Registered on every SQLite connection (``InboxConfig.ready``), the way Django registers
its own statistics functions there; PostgreSQL computes percentiles natively.
"""

import math


class _Percentile:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction) -> None:
        if value is not None:
            self.values.append(float(value))
            self.fraction = float(fraction)

    def finalize(self) -> float | None:
        """Linear interpolation between the closest ranks, as ``percentile_cont`` does."""
        if not self.values:
            return None
        values = sorted(self.values)
        rank = self.fraction * (len(values) - 1)
        low, high = math.floor(rank), math.ceil(rank)
        return values[low] + (values[high] - values[low]) * (rank - low)


def register(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("CONVERSE_PERCENTILE", 2, _Percentile)
