import pytest
from django.contrib.auth.models import Permission


@pytest.fixture
def clerk(django_user_model):
    """A staff member with no model permissions yet: the back-office opens, no table does."""
    return django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True)


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def grant(clerk):
    def grant(*codenames: str):
        for codename in codenames:
            app_label, _, name = codename.partition(".")
            clerk.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=name))

    return grant
