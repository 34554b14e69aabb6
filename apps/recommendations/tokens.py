"""Shopper tokens: the storefront's server signs the logged-in customer's id, so that the
widget can ask for "recommended for you" and nobody can read another customer's list by
guessing ids.

    payload = base64url(customer_id, unpadded) "." expires_unix
    token   = payload "." hex(HMAC-SHA256(WIDGET_SIGNING_SECRET, payload))

Any storefront language can produce it; `shopper_token_for` is the reference.
"""

import base64
import hashlib
import hmac
import time
from functools import lru_cache

from django.conf import settings


class BadToken(ValueError):
    pass


def _signature(payload: str) -> str:
    return _signature_with(settings.WIDGET_SIGNING_SECRET, payload)


@lru_cache(maxsize=8192)
def _signature_with(secret: str, payload: str) -> str:
    """A shopper's widgets ask with the same token page after page: sign each payload once."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def shopper_token_for(customer_id: str, *, ttl_seconds: int | None = None, now: float | None = None) -> str:
    expires = int((now or time.time()) + (ttl_seconds or settings.WIDGET_TOKEN_TTL_SECONDS))
    encoded = base64.urlsafe_b64encode(customer_id.encode()).decode().rstrip("=")
    payload = f"{encoded}.{expires}"
    return f"{payload}.{_signature(payload)}"


def customer_from_token(token: str, *, now: float | None = None) -> str:
    """The customer id the token was signed for; BadToken if forged, malformed or expired."""
    try:
        encoded, expires, signature = token.split(".")
        expires_at = int(expires)
    except ValueError:
        raise BadToken("malformed token") from None
    if not hmac.compare_digest(signature.encode(), _signature(f"{encoded}.{expires}").encode()):
        raise BadToken("bad signature")
    if expires_at < (now or time.time()):
        raise BadToken("expired token")
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise BadToken("malformed token") from None
