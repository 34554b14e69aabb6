from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin

from apps.core.models import IntegrationKey


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "scope", "last_used_at"]
    list_filter = [*APIKeyModelAdmin.list_filter, "scope"]
