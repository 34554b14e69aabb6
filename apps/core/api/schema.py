"""Tells drf-spectacular how integrations authenticate, so the OpenAPI schema documents it."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IntegrationKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.api.authentication.IntegrationKeyAuthentication"
    name = "IntegrationKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "An integration key (read or read-write scope), created by staff in the admin.",
        }
