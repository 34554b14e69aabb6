"""The OpenAPI schema (drf-spectacular): how integrations authenticate, and what the generated
schema leaves out by itself: the 400 that every body and filtered list can answer, and the
item counts that nested lists enforce."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

VALIDATION_ERROR = {
    "description": (
        'Refused input: {"field": ["message", ...]} for each field at fault (nested lines by index), '
        'or {"detail": "message"} for a malformed body or query.'
    ),
    "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {}}}},
}


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


class RetailHubAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        takes_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        filters_list = self.method == "GET" and bool(self.get_filter_backends())
        if takes_body or filters_list:
            responses.setdefault("400", VALIDATION_ERROR)
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        is_list = isinstance(field, serializers.ListSerializer | serializers.ListField)
        # drf-spectacular maps neither allow_empty=False nor a nested list's min/max_length.
        if is_list and schema and schema.get("type") == "array":
            min_items = max(0 if field.allow_empty else 1, field.min_length or 0)
            if min_items:
                schema["minItems"] = max(min_items, schema.get("minItems", 0))
            if field.max_length is not None:
                schema.setdefault("maxItems", field.max_length)
        return schema
