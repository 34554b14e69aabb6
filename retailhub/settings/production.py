"""Production: everything secret or host-specific must come from the environment."""

from retailhub.settings.base import *  # noqa: F403
from retailhub.settings.base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
WIDGET_SIGNING_SECRET = env("WIDGET_SIGNING_SECRET")  # shared with the storefront's server only
STOREFRONT_DEMO = False
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=1)  # the load balancer
# Web processes share the catalogue version and the active run through it: never per-process.
CACHES = {"default": env.cache("CACHE_URL")}

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
