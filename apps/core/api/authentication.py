"""Integration keys in the X-Api-Key header. Only a hash of each key is stored."""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions

from apps.core.models import IntegrationKey

HEADER = "HTTP_X_API_KEY"
# Usage shows in the admin without a write on every call.
LAST_USED_RESOLUTION_SECONDS = 60


class IntegrationKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw_key = request.META.get(HEADER)
        if not raw_key:
            return None
        try:
            key = IntegrationKey.objects.get_from_key(raw_key)
        except IntegrationKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.") from None
        if key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            IntegrationKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return "Api-Key"
