from django.apps import AppConfig


class ForecastsConfig(AppConfig):
    name = "apps.forecasts"
    default_auto_field = "django.db.models.BigAutoField"
