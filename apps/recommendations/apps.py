from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "apps.recommendations"
    default_auto_field = "django.db.models.BigAutoField"
