"""Who may call the API: staff with a session, or an integration key of the right scope."""

from django.utils import timezone
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework_api_key.permissions import KeyParser

from apps.core.models import IntegrationKey

_key_parser = KeyParser()


def integration_key_for(request) -> IntegrationKey | None:
    """The valid, unrevoked, unexpired key the request carries, if any (cached on the request)."""
    if not hasattr(request, "_integration_key"):
        key = _key_parser.get(request)
        found = None
        if key:
            try:
                found = IntegrationKey.objects.get_from_key(key)
            except IntegrationKey.DoesNotExist:
                found = None
            if found is not None and found.has_expired:
                found = None
        if found is not None:
            # One write per key per minute at most: usage shows in the admin without a write per call.
            now = timezone.now()
            if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
                IntegrationKey.objects.filter(pk=found.pk).update(last_used_at=now)
        request._integration_key = found
    return request._integration_key


class StaffOrIntegrationKey(BasePermission):
    message = "Authentication required: a staff session or an X-Api-Key header."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user and user.is_authenticated and user.is_staff:
            return True
        key = integration_key_for(request)
        if key is None:
            return False
        if request.method in SAFE_METHODS:
            return True
        if not key.allows_write():
            self.message = "This API key is read-only."
            return False
        return True
