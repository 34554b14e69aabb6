from django.apps import AppConfig


class SampleStoresConfig(AppConfig):
    """Generated stores for demos and tests at scale; no models."""

    name = "apps.sample_stores"
