from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "apps.catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apps.catalogue import signals  # noqa: F401  (connects the catalogue version)
