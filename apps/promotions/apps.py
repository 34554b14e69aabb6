from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "apps.promotions"
    default_auto_field = "django.db.models.BigAutoField"
