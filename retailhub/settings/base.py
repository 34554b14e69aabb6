"""Settings shared by every environment, read from the environment (12-factor).

With no DATABASE_URL and no CELERY_BROKER_URL the app runs on an embedded
SQLite file with Celery tasks executed in-process: the demo needs no services.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_celery_beat",
    "axes",
    "apps.core",
    "apps.catalogue",
    "apps.customers",
    "apps.orders",
    "apps.recommendations",
    "apps.segments",
    "apps.forecasts",
    "apps.promotions",
    "apps.sample_stores",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.RejectNulInUrlMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "retailhub.urls"
WSGI_APPLICATION = "retailhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL in production and tests, an embedded SQLite file otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'retailhub.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web process and in-process tasks share one file: wait for locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://retailhub")}

# --- Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused (429) for AXES_COOLOFF_TIME. Attempts are kept in the
# database, shared by every web process; staff unlock early under Axes > Access attempts.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Not a log line at every manage.py command.
AXES_VERBOSE = False
# The address the rate limits count (trusts X-Forwarded-For only behind TRUSTED_PROXY_HOPS proxies).
AXES_CLIENT_IP_CALLABLE = "apps.core.rate_limit.client_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Store: the retailer's own time zone and currency. Order logs carry naive
# local times, which are read in this zone.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("STORE_TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True
STORE_CURRENCY = env("STORE_CURRENCY", default="GBP")

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
# Uploaded order logs can be the whole year's file (tens of MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Where tests, the demo and benchmarks find the real data sets (never committed).
RETAILHUB_SAMPLE_DATA = env.path("RETAILHUB_SAMPLE_DATA", default=BASE_DIR.parent / "shared" / "data")

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.core.api.authentication.IntegrationKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.api.permissions.StaffOrIntegrationKey"],
    # JSON nested deeper than 32 levels or holding NUL is a 400 (apps/core/json_input.py).
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.parsers.CheckedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "apps.core.api.filters.BoundedSearchFilter",  # ?search= of at most 10 terms, 200 characters
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.RetailHubAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "RetailHub API",
    "DESCRIPTION": (
        "Catalogue, customers and orders of the retailer. Authenticate with a staff session "
        "or an integration key in the `X-Api-Key` header (read or read-write scope)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes the API to those who may call it: staff and integrations.
    "SERVE_PERMISSIONS": ["apps.core.api.permissions.StaffOrIntegrationKey"],
    "SERVE_AUTHENTICATION": [
        "apps.core.api.authentication.IntegrationKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Self-hosted Swagger UI assets: the docs work behind a firewall.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ProductKindEnum": "apps.catalogue.models.Product.Kind",
        "OrderKindEnum": "apps.orders.models.Order.Kind",
        "OrderStatusEnum": "apps.orders.models.Order.Status",
        "ImportBatchStatusEnum": "apps.orders.models.ImportBatch.Status",
        "PromotionKindEnum": "apps.promotions.models.Promotion.Kind",
        "PromotionStatusEnum": "apps.promotions.models.Promotion.Status",
        "PromotionEventKindEnum": "apps.promotions.models.PromotionEvent.Kind",
    },
}

# --- CORS: only storefront origins may call the API from a browser.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# --- Celery. With no broker configured, tasks run in-process (the demo).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "default"
# Time limits per queue: `default` for short jobs (imports), `ml` for training runs.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
TRAINING_TIME_LIMIT = env.int("TRAINING_TIME_LIMIT", default=2 * 60 * 60)
TRAINING_SOFT_TIME_LIMIT = env.int("TRAINING_SOFT_TIME_LIMIT", default=TRAINING_TIME_LIMIT - 5 * 60)
CELERY_TASK_ROUTES = {"core.train_run": {"queue": "ml"}, "forecasts.fit_chunks": {"queue": "ml"}}
# A message is redelivered only after this long unacknowledged; it must outlive the longest
# hard time limit, or a second worker could start a run that is still training.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=max(CELERY_TASK_TIME_LIMIT, TRAINING_TIME_LIMIT) + 15 * 60
    )
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Default periodic tasks; django-celery-beat copies them into the database, where
# staff can edit them in the admin.
CELERY_BEAT_SCHEDULE = {
    "retrain-everything-nightly": {
        "task": "core.retrain_all",
        "schedule": crontab(hour=2, minute=30),
    },
    "expire-stale-training-runs": {
        "task": "core.expire_stale_training_runs",
        "schedule": crontab(minute=45),
    },
    "expire-stale-import-batches": {
        "task": "orders.expire_stale_import_batches",
        "schedule": crontab(minute=15),
    },
}

# --- Storefront widget
# The storefront's server signs shopper tokens with this secret (see apps/recommendations/tokens.py).
WIDGET_SIGNING_SECRET = env("WIDGET_SIGNING_SECRET", default="widget-" + SECRET_KEY)
WIDGET_TOKEN_TTL_SECONDS = env.int("WIDGET_TOKEN_TTL_SECONDS", default=24 * 60 * 60)
# Where a product card links to on the storefront; {sku} is replaced.
STOREFRONT_PRODUCT_URL = env("STOREFRONT_PRODUCT_URL", default="/storefront/products/{sku}/")
# Per client address, counted in the shared cache (see apps/core/rate_limit.py).
WIDGET_RATE = env("WIDGET_RATE", default="600/minute")
# How long a web process trusts its copy of (active run, catalogue version).
WIDGET_STATE_TTL_SECONDS = env.float("WIDGET_STATE_TTL_SECONDS", default=1.0)
WIDGET_EVENTS_RATE = env("WIDGET_EVENTS_RATE", default="300/minute")
# While no recommendations run is active, the fallback lists (computed from the orders) are kept this long.
RECOMMENDATIONS_FALLBACK_TTL_SECONDS = env.int("RECOMMENDATIONS_FALLBACK_TTL_SECONDS", default=300)

# The sample storefront at /storefront/ (make demo, browser tests). It signs shopper tokens for
# whoever it is asked to show, so it is never on in production.
STOREFRONT_DEMO = env.bool("STOREFRONT_DEMO", default=DEBUG)
# Behind N trusted reverse proxies, the client is the Nth address from the right of
# X-Forwarded-For (rate limits and login throttling count clients, not the load balancer).
# With 0, X-Forwarded-For is ignored: without a proxy in front anyone can write it.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)

# Serves /bench/constant, the peer of bench/widget_load.py; off everywhere else.
BENCHMARK_PEER_VIEW = env.bool("BENCHMARK_PEER_VIEW", default=False)

# --- Training platform
# The trainer of each model kind; a kind absent here cannot be retrained yet.
TRAINERS = {
    "recommendations": "apps.recommendations.training.RecommendationsTrainer",
    "segments": "apps.segments.training.SegmentsTrainer",
    "forecasts": "apps.forecasts.training.ForecastsTrainer",
    "targeting": "apps.promotions.training.TargetingTrainer",
    **env.json("TRAINERS_OVERRIDE", default={}),
}
TRAINING_ARTIFACT_DIR = env.path("TRAINING_ARTIFACT_DIR", default=VAR_DIR / "artifacts")
TRAINING_KEEP_RUNS = env.int("TRAINING_KEEP_RUNS", default=5)
TRAINING_MAX_ATTEMPTS = env.int("TRAINING_MAX_ATTEMPTS", default=3)
# A run still queued after this long lost its message: it is failed so requests stop joining it.
TRAINING_QUEUED_EXPIRY = env.int("TRAINING_QUEUED_EXPIRY", default=6 * 60 * 60)
# PyTorch models: "auto" takes a GPU when one is present.
TRAINING_TORCH_DEVICE = env("TRAINING_TORCH_DEVICE", default="auto")
# Threads one training process may use (0: every core). With N ml worker processes on a host,
# cores / N keeps their parallel loops from stalling each other.
TRAINING_THREADS = env.int("TRAINING_THREADS", default=0)

# --- Forecasts
# Weeks ahead a retrain forecasts, and the backtest origins each model is scored on.
FORECAST_HORIZON = env.int("FORECAST_HORIZON", default=12)
FORECAST_BACKTEST_ORIGINS = env.int("FORECAST_BACKTEST_ORIGINS", default=3)
# Fan-out: products per chunk, and chunk tasks sent to other workers besides the run's own.
FORECAST_CHUNK_SERIES = env.int("FORECAST_CHUNK_SERIES", default=200)
FORECAST_HELPER_TASKS = env.int("FORECAST_HELPER_TASKS", default=3)
# A work item whose claim was not refreshed for this long lost its worker: another takes it.
FORECAST_CHUNK_STALE_SECONDS = env.int("FORECAST_CHUNK_STALE_SECONDS", default=120)
# Replenishment defaults for products without a reorder policy of their own.
FORECAST_DEFAULT_LEAD_TIME_DAYS = env.int("FORECAST_DEFAULT_LEAD_TIME_DAYS", default=14)
FORECAST_DEFAULT_SERVICE_LEVEL = env.float("FORECAST_DEFAULT_SERVICE_LEVEL", default=0.95)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
