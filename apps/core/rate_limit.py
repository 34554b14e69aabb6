"""A fixed-window rate limit per client address for the public storefront endpoints,
counted in each web process.

The widget's hot path serves a cached list in well under a millisecond; a shared counter
would add a network round trip to every request (DRF's throttles also rewrite a list of
timestamps per client each time). Counting per process keeps the path local: with N web
processes a client gets at most N times the rate, which still stops a scraper or a loop."""

import time
from functools import wraps

from django.http import JsonResponse


def client_address(request) -> str:
    """The caller's address: behind TRUSTED_PROXY_HOPS proxies, the one the outermost
    trusted proxy saw (addresses further left are the client's to forge)."""
    from django.conf import settings

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


class _Windows:
    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.window_start = 0
        self.counts: dict[str, int] = {}

    def hit(self, client: str, window: int, now: float) -> int:
        start = int(now // window) * window
        if start != self.window_start:  # a new window: forget the last one's counts
            self.window_start, self.counts = start, {}
        count = self.counts.get(client, 0) + 1
        self.counts[client] = count
        return count


# Every view's counters, so that they can be forgotten at once (between tests).
_ALL_WINDOWS: list[_Windows] = []


def rate_limits_reset() -> None:
    for windows in _ALL_WINDOWS:
        windows.reset()


def rate_limited(setting_name: str):
    def decorate(view):
        windows = _Windows()
        _ALL_WINDOWS.append(windows)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            from django.conf import settings

            limit, window = parse_rate(getattr(settings, setting_name))
            now = _clock()
            if windows.hit(client_address(request), window, now) > limit:
                response = JsonResponse({"detail": "Too many requests; slow down."}, status=429)
                response["Retry-After"] = str(window - int(now) % window)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
