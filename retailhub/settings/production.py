"""Production: everything secret or host-specific must come from the environment."""

import logging

from django.core.exceptions import ImproperlyConfigured

from retailhub.settings.base import *  # noqa: F403
from retailhub.settings.base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
WIDGET_SIGNING_SECRET = env("WIDGET_SIGNING_SECRET")  # shared with the storefront's server only
STOREFRONT_DEMO = False
# Set it to the proxies in front (1 behind one load balancer): without a proxy, X-Forwarded-For
# is the client's to write, so it is never read by default.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
# Web processes share the catalogue version and the active run through it: never per-process.
CACHES = {"default": env.cache("CACHE_URL")}

# Without a broker every task (an import, a training run) would run inside the web request that
# asked for it, holding a web process for minutes: refuse to start unless that is explicitly wanted.
if not env("CELERY_BROKER_URL", default=""):
    if not env.bool("RETAILHUB_ALLOW_IN_PROCESS_TASKS", default=False):
        raise ImproperlyConfigured(
            "Set the CELERY_BROKER_URL environment variable (e.g. redis://host:6379/0): production runs "
            "tasks on Celery workers. RETAILHUB_ALLOW_IN_PROCESS_TASKS=1 runs them inside web requests instead."
        )
    logging.getLogger(__name__).warning(
        "No CELERY_BROKER_URL: tasks run inside the web requests that start them (RETAILHUB_ALLOW_IN_PROCESS_TASKS=1)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer probes plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
