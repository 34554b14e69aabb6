import pytest

from apps.recommendations.tokens import BadToken, customer_from_token, shopper_token_for


def test_a_token_carries_the_customer_until_it_expires(settings):
    settings.WIDGET_SIGNING_SECRET = "s3cret"
    token = shopper_token_for("17850", ttl_seconds=60, now=1_000_000)

    import hashlib
    import hmac

    expected_signature = hmac.new(b"s3cret", b"MTc4NTA.1000060", hashlib.sha256).hexdigest()
    assert token == f"MTc4NTA.1000060.{expected_signature}"
    encoded, expires, signature = token.split(".")
    assert (encoded, expires, len(signature)) == ("MTc4NTA", "1000060", 64)
    assert customer_from_token(token, now=1_000_059) == "17850"
    with pytest.raises(BadToken, match="expired token"):
        customer_from_token(token, now=1_000_061)


def test_forged_and_malformed_tokens_are_refused(settings):
    settings.WIDGET_SIGNING_SECRET = "s3cret"
    token = shopper_token_for("17850", ttl_seconds=60, now=1_000_000)
    other_customer = shopper_token_for("12583", ttl_seconds=60, now=1_000_000)
    forged = other_customer.split(".")[0] + "." + ".".join(token.split(".")[1:])

    with pytest.raises(BadToken, match="bad signature"):
        customer_from_token(forged, now=1_000_000)
    with pytest.raises(BadToken, match="malformed token"):
        customer_from_token("17850", now=1_000_000)
    settings.WIDGET_SIGNING_SECRET = "another"
    with pytest.raises(BadToken, match="bad signature"):
        customer_from_token(token, now=1_000_000)


def test_a_new_cache_never_reuses_an_old_catalogue_version(db):
    from django.core.cache import cache

    from apps.catalogue.signals import catalogue_version

    before = catalogue_version()
    cache.clear()  # a restarted or flushed cache

    assert catalogue_version() != before
