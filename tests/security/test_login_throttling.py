"""The admin login locks a username out from one address after 5 wrong passwords, for 15
minutes (django-axes); other addresses and other usernames are not affected."""

import datetime

import pytest
from axes.models import AccessAttempt

LOCKED = "Account locked: too many login attempts. Please try again later."


@pytest.fixture
def manager(django_user_model):
    return django_user_model.objects.create_user("manager", password="right-pass-123", is_staff=True)


def login(client, password, *, username="manager", address="203.0.113.5", **extra):
    return client.post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def test_five_wrong_passwords_lock_the_username_at_that_address(client, manager):
    wrong = [login(client, f"guess-{n}") for n in range(5)]

    assert [response.status_code for response in wrong] == [200, 200, 200, 200, 429]
    assert "Please enter the correct username and password" in wrong[0].content.decode()
    assert wrong[-1].content.decode() == LOCKED
    right = login(client, "right-pass-123")
    assert (right.status_code, right.content.decode()) == (429, LOCKED)
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_one_username_at_one_address(client, manager, django_user_model):
    django_user_model.objects.create_user("buyer", password="buyer-pass-123", is_staff=True)
    for n in range(5):
        login(client, f"guess-{n}")

    assert login(client, "right-pass-123", address="198.51.100.20").status_code == 302
    client.logout()
    assert login(client, "buyer-pass-123", username="buyer").status_code == 302


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, manager):
    statuses = [login(client, f"guess-{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(5)]

    assert statuses == [200, 200, 200, 200, 429]


def test_the_lock_lifts_after_fifteen_minutes(client, manager):
    for n in range(5):
        login(client, f"guess-{n}")
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=14))
    assert login(client, "right-pass-123").status_code == 429

    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16))

    assert login(client, "right-pass-123").status_code == 302


def test_a_successful_login_starts_the_count_again(client, manager):
    for n in range(4):
        login(client, f"guess-{n}")
    assert login(client, "right-pass-123").status_code == 302
    client.logout()

    statuses = [login(client, f"again-{n}").status_code for n in range(4)]

    assert statuses == [200, 200, 200, 200]
