"""/healthz answers a plain probe (a load balancer's Accept: */*, a browser's text/html) with a
short plain-text report: 200 when healthy, 500 when a dependency is down."""

import pytest

HEALTHY = "Database(alias='default'): OK\nCache(alias='default'): OK\nBroker(redis): OK\n"


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8", "text/plain"])
def test_a_plain_probe_gets_200_and_a_plain_body(client, accept):
    response = client.get("/healthz", **({"HTTP_ACCEPT": accept} if accept else {}))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == HEALTHY


@pytest.mark.django_db
def test_a_plain_probe_sees_an_outage_as_500(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz", HTTP_ACCEPT="*/*")

    assert response.status_code == 500
    assert (
        response.content.decode().splitlines()[2] == "Broker(redis): Unavailable: Broker unreachable: OperationalError"
    )


@pytest.mark.django_db
def test_an_accept_header_nobody_can_parse_still_gets_the_report(client):
    response = client.get("/healthz", HTTP_ACCEPT="not a media type")

    assert (response.status_code, response.content.decode()) == (200, HEALTHY)
