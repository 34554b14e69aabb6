"""A fixed-window rate limit per client address for the public storefront endpoints, counted
in the shared cache (Redis in production), so the limit holds across every web process.

One counter per client, view and window, raised with the cache's atomic increment: one round
trip per request (two on a window's first). A counter outlives its window by a minute, so it
never expires while it is still being counted, and the next window starts a new key."""

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


def _hit(key: str, window: int) -> int:
    """This window's count for `key`, after adding this request."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request: create the counter, unless another process just did
        if cache.add(key, 1, timeout=window + 60):
            return 1
        return cache.incr(key)


def rate_limited(setting_name: str):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            limit, window = parse_rate(getattr(settings, setting_name))
            now = _clock()
            window_start = int(now // window) * window
            key = f"rate-limit:{setting_name}:{window_start}:{client_address(request)}"
            if _hit(key, window) > limit:
                response = JsonResponse({"detail": "Too many requests; slow down."}, status=429)
                response["Retry-After"] = str(window - int(now) % window)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
