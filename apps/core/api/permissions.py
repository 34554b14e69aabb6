"""Who may call the API: staff with a session, or an integration key of the right scope.

A staff session writes only with the model permission the admin would ask for (as DRF's
DjangoModelPermissions does): being staff opens the back-office, not every table in it."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.core.models import IntegrationKey

# The model permission a write needs. A POST to one object's action (a promotion's /activate/)
# changes that object, so it needs "change", not "add".
WRITE_ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class StaffOrIntegrationKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if user and user.is_authenticated and user.is_staff:
            return self._staff_may(user, request, view)
        key = request.auth
        if not isinstance(key, IntegrationKey):
            return False
        # A view may mark a POST that changes nothing (a price quote) as a read.
        if request.method in SAFE_METHODS or getattr(view, "is_read", False) or key.allows_write():
            return True
        self.message = "This API key is read-only."
        return False

    def _staff_may(self, user, request, view) -> bool:
        if request.method in SAFE_METHODS or getattr(view, "is_read", False):
            return True
        model = _model_of(view)
        if model is None:
            # A write that belongs to no one model (recording an order's redemptions): superusers only.
            if user.is_superuser:
                return True
            self.message = "Only a superuser may make this change with a staff session."
            return False
        action = WRITE_ACTIONS.get(request.method, "change")
        if request.method == "POST" and getattr(view, "detail", False):
            action = "change"
        permission = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
        if user.has_perm(permission):
            return True
        self.message = f"Your account lacks the permission {permission}."
        return False


def _model_of(view):
    queryset = getattr(view, "queryset", None)
    if queryset is None and hasattr(view, "get_queryset"):
        queryset = view.get_queryset()
    return getattr(queryset, "model", None)
