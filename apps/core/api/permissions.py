"""Who may call the API: staff with a session, or an integration key of the right scope."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.core.models import IntegrationKey


class StaffOrIntegrationKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if user and user.is_authenticated and user.is_staff:
            return True
        key = request.auth
        if not isinstance(key, IntegrationKey):
            return False
        # A view may mark a POST that changes nothing (a price quote) as a read.
        if request.method in SAFE_METHODS or getattr(view, "is_read", False) or key.allows_write():
            return True
        self.message = "This API key is read-only."
        return False
