"""A fixed-window rate limit per client address for the public storefront endpoints, counted
in the shared cache (Redis in production), so the limit holds across every web process.

One counter per client, view and window, raised with the cache's atomic increment. A counter
outlives its window by a minute, so it never expires while it is still being counted, and the
next window starts a new key.

A round trip to Redis on every widget request cost a quarter of the widget's throughput, so each
process counts locally and adds its count to the shared counter every SYNC_EVERY requests of a
client; within SYNC_EVERY of the limit it adds every request, so the limit itself is exact. A
client spread over N processes may get at most N x SYNC_EVERY requests more than the limit in a
window, far from the abuse the limit is there to stop."""

import threading
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse


def client_address(request) -> str:
    """The caller's address. X-Forwarded-For is anyone's to write, so it is read only behind
    TRUSTED_PROXY_HOPS proxies (none by default): then the address the outermost trusted proxy
    saw (addresses further left are the client's to forge). Django-axes counts logins by it too."""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[period]
    return int(count), seconds


def _clock() -> float:
    return time.time()


SYNC_EVERY = 10


class _LocalCounts:
    """This process's view of each counter: the shared count when last synced, plus requests since."""

    def __init__(self):
        self.lock = threading.Lock()
        self.window_start = None
        self.known: dict[str, int] = {}
        self.pending: dict[str, int] = {}

    def hit(self, key: str, window_start: int, window: int, limit: int) -> int:
        """This window's count for `key` (exact near the limit), after adding this request."""
        with self.lock:
            if window_start != self.window_start:  # a new window: earlier counters are done with
                self.window_start, self.known, self.pending = window_start, {}, {}
            pending = self.pending.get(key, 0) + 1
            estimate = self.known.get(key, 0) + pending
            if pending < SYNC_EVERY and estimate < limit - SYNC_EVERY:
                self.pending[key] = pending
                return estimate
            self.pending[key] = 0
        count = _add(key, pending, window)
        with self.lock:
            if self.window_start == window_start:
                self.known[key] = count
        # Only a synced, shared count ever refuses a request; a local estimate is always under the limit.
        return count


_local_counts = _LocalCounts()


def _add(key: str, amount: int, window: int) -> int:
    """Add `amount` to the shared counter; its new value."""
    try:
        return cache.incr(key, amount)
    except ValueError:  # the window's first sync: create the counter, unless another process just did
        if cache.add(key, amount, timeout=window + 60):
            return amount
        return cache.incr(key, amount)


def rate_limited(setting_name: str):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            limit, window = parse_rate(getattr(settings, setting_name))
            now = _clock()
            window_start = int(now // window) * window
            key = f"rate-limit:{setting_name}:{window_start}:{client_address(request)}"
            if _local_counts.hit(key, window_start, window, limit) > limit:
                response = JsonResponse({"detail": "Too many requests; slow down."}, status=429)
                response["Retry-After"] = str(window - int(now) % window)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
