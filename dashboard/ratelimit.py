"""In-memory token buckets per client address (sign-in and survey form).

One server process holds the buckets; that is the deployment (one process,
threads), so no shared store is needed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`burst` requests at once, refilled at `per_minute` per minute, per key."""

    burst: int
    per_minute: float
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when the bucket is empty."""
        now = self.clock()
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_minute / 60.0)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                return False
            self._state[key] = (tokens - 1.0, now)
            if len(self._state) > 100_000:  # bound memory under address spraying
                self._state.clear()
            return True
