"""A fixed-window rate limit per client address, for the public storefront endpoints.

DRF's throttles keep a list of request times per client and rewrite it on every call; a
counter per window is one cache increment, which matters on the widget's hot path."""

import time
from functools import wraps

from django.core.cache import cache
from django.http import JsonResponse


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[period]
    return int(count), seconds


def rate_limited(setting_name: str):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            from django.conf import settings

            limit, window = parse_rate(getattr(settings, setting_name))
            bucket = int(time.time() // window)
            key = f"rate:{view.__name__}:{request.META.get('REMOTE_ADDR', '')}:{bucket}"
            if cache.add(key, 1, window + 1):
                count = 1
            else:
                try:
                    count = cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, window + 1)
                    count = 1
            if count > limit:
                response = JsonResponse({"detail": "Too many requests; slow down."}, status=429)
                response["Retry-After"] = str(window - int(time.time()) % window)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
