"""Append-only columnar record books the simulation writes as it steps month by month."""

from __future__ import annotations

import numpy as np


class Ledger:
    """Named columns with fixed dtypes; ``add`` appends a batch, ``columns`` concatenates.

    Rows are numbered in the order they were added, which is what makes ids
    (contract ids, invoice ids) deterministic.
    """

    def __init__(self, **dtypes: type | np.dtype) -> None:
        self.dtypes = {name: np.dtype(kind) for name, kind in dtypes.items()}
        self._parts: dict[str, list[np.ndarray]] = {name: [] for name in dtypes}
        self.count = 0

    def add(self, **columns: np.ndarray | int | float) -> np.ndarray:
        """Append a batch; scalars broadcast. Returns the new rows' numbers."""
        if set(columns) != set(self.dtypes):
            raise ValueError(f"expected columns {sorted(self.dtypes)}, got {sorted(columns)}")
        size = max((np.size(v) for v in columns.values() if np.ndim(v) > 0), default=1)
        for name, value in columns.items():
            arr = np.asarray(value, dtype=self.dtypes[name])
            self._parts[name].append(np.broadcast_to(arr, (size,)).copy() if arr.ndim == 0 else arr)
        rows = np.arange(self.count, self.count + size)
        self.count += size
        return rows

    def columns(self) -> dict[str, np.ndarray]:
        return {
            name: np.concatenate(parts) if parts else np.empty(0, dtype=self.dtypes[name])
            for name, parts in self._parts.items()
        }
