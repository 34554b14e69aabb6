"""A customer's export and erasure (apps.customers.privacy), through the service, the commands and
the admin actions, on a small store written by hand: Alice (17850) has orders, a segment row, a
recommendation, a coupon, a redemption, a promotion event, campaign-log rows and uplift scores;
Bob (13047) has one of most of those; a guest order belongs to nobody."""

import datetime
import io
import json
import logging
from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import F, Sum

from apps.catalogue.models import Product
from apps.core.models import TrainingRun
from apps.customers.models import Customer
from apps.customers.privacy import customer_data_export, customer_erase, customer_reference
from apps.orders.models import Order, OrderLine
from apps.promotions.models import (
    CampaignLog,
    CampaignLogRow,
    Coupon,
    CustomerUplift,
    Promotion,
    PromotionEvent,
    RedeemedOrder,
    Redemption,
)
from apps.recommendations.models import CustomerRecommendation
from apps.segments.models import CustomerSegment

T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
ALICE_KEY, BOB_KEY = "online_retail:17850", "online_retail:13047"


def _order(invoice_no, customer, kind, lines, *, days):
    """lines: (product, quantity, unit price as text)."""
    order = Order.objects.create(
        invoice_no=invoice_no,
        customer=customer,
        kind=kind,
        placed_at=T0 + datetime.timedelta(days=days),
        country="United Kingdom",
        total_amount=sum(q * Decimal(p) for _, q, p in lines),
        line_count=len(lines),
    )
    for number, (product, quantity, price) in enumerate(lines, start=1):
        OrderLine.objects.create(
            order=order, line_number=number, product=product, quantity=quantity, unit_price=Decimal(price), kind=kind
        )
    return order


def _run(kind):
    return TrainingRun.objects.create(
        kind=kind, status=TrainingRun.Status.SUCCEEDED, cutoff_key=f"{kind}-hand", finished_at=T0
    )


def _segment(run, customer, segment, value):
    return CustomerSegment.objects.create(
        run=run,
        customer=customer,
        recency_days=5,
        frequency=2,
        monetary=Decimal("28.500"),
        r=5,
        f=3,
        m=4,
        segment=segment,
        cluster=1,
        predicted_purchases=1.5,
        probability_alive=0.9,
        predicted_value=Decimal(value),
    )


@pytest.fixture
def store(db):
    mug = Product.objects.create(sku="MUG", name="Mug", price=Decimal("2.00"))
    jug = Product.objects.create(sku="JUG", name="Jug", price=Decimal("10.50"))
    alice = Customer.objects.create(external_id="17850", country="United Kingdom", country_seen_at=T0)
    bob = Customer.objects.create(external_id="13047", country="France")
    _order("A1", alice, Order.Kind.SALE, [(mug, 3, "2.000"), (jug, 1, "10.500")], days=0)
    _order("CA1", alice, Order.Kind.CANCELLATION, [(mug, -1, "2.000")], days=1)
    _order("B1", bob, Order.Kind.SALE, [(mug, 5, "2.000")], days=2)
    _order("G1", None, Order.Kind.SALE, [(jug, 2, "10.500")], days=3)

    segments = _run("segments")
    _segment(segments, alice, "champions", "120.00")
    _segment(segments, bob, "loyal", "40.00")
    recommendations = _run("recommendations")
    CustomerRecommendation.objects.create(
        run=recommendations,
        customer=alice,
        rank=1,
        product=jug,
        score=0.75,
        reason=CustomerRecommendation.Reason.BECAUSE_YOU_BOUGHT,
        because_of=mug,
    )
    CustomerRecommendation.objects.create(
        run=recommendations, customer=bob, rank=1, product=jug, score=0.5, reason=CustomerRecommendation.Reason.POPULAR
    )

    spring = Promotion.objects.create(
        name="Spring", kind=Promotion.Kind.PERCENT_OFF, value=Decimal("10"), starts_at=T0, status="active"
    )
    Coupon.objects.create(promotion=spring, code="ALICE10", customer=alice)
    for reference, customer, key, amount in (("R-1", alice, ALICE_KEY, "1.20"), ("R-2", bob, BOB_KEY, "3.00")):
        redeemed = RedeemedOrder.objects.create(
            order_reference=reference,
            customer=customer,
            customer_key=key,
            request_digest="d" * 64,
            subtotal=Decimal("12.00"),
            discount=Decimal(amount),
            total=Decimal("12.00") - Decimal(amount),
        )
        Redemption.objects.create(
            order=redeemed,
            promotion=spring,
            customer=customer,
            customer_key=key,
            amount=Decimal(amount),
            redeemed_at=T0,
        )
    spring.discount_spent, spring.redemptions_count = Decimal("4.20"), 2
    spring.save()
    for key, kind in ((ALICE_KEY, "click"), (BOB_KEY, "impression"), ("", "impression")):
        PromotionEvent.objects.create(promotion=spring, kind=kind, channel="widget", customer_key=key, occurred_at=T0)

    # A log built from a past promotion keys customers by "source:id"; an imported file by bare id.
    from_promotion = CampaignLog.objects.create(
        name="Spring experiment",
        treatment_column="group",
        control="control",
        outcome_column="converted",
        customer_column="customer",
    )
    for position, key in enumerate((ALICE_KEY, BOB_KEY)):
        CampaignLogRow.objects.create(
            log=from_promotion, position=position, values={"customer": key, "group": "offer", "converted": 1}
        )
    from_file = CampaignLog.objects.create(
        name="Mailing file", treatment_column="segment", control="none", outcome_column="visit", customer_column="id"
    )
    for position, external_id in enumerate(("17850", "99999")):
        CampaignLogRow.objects.create(
            log=from_file, position=position, values={"id": external_id, "segment": "Womens", "visit": "0"}
        )
    targeting = _run("targeting")
    for key, uplift in ((ALICE_KEY, 0.125), ("17850", 0.25), (BOB_KEY, -0.5)):
        CustomerUplift.objects.create(
            run=targeting, customer_key=key, arm="offer", uplift=uplift, planned_offer="offer"
        )
    return {"alice": alice, "bob": bob, "mug": mug, "jug": jug, "runs": (segments, recommendations, targeting)}


def _revenue_and_units():
    lines = OrderLine.objects.all()
    revenue = lines.aggregate(total=Sum(F("quantity") * F("unit_price")))["total"]
    units = dict(lines.values("product__sku").annotate(units=Sum("quantity")).values_list("product__sku", "units"))
    return revenue, units, Order.objects.count(), OrderLine.objects.count()


# --- export ------------------------------------------------------------------------------------
def test_export_holds_exactly_the_customers_records(store):
    alice = store["alice"]
    segments, recommendations, targeting = store["runs"]

    data = customer_data_export(alice, by="test")

    assert set(data) == {
        "exported_at",
        "customer",
        "orders",
        "segments",
        "recommendations",
        "coupons",
        "redeemed_orders",
        "redemptions",
        "promotion_events",
        "campaign_logs",
        "uplift_scores",
    }
    assert data["customer"] == {
        "source": "online_retail",
        "external_id": "17850",
        "country": "United Kingdom",
        "country_seen_at": "2026-03-02T10:00:00+00:00",
        "created_at": alice.created_at.isoformat(),
    }
    assert [(o["invoice_no"], o["kind"], o["total_amount"]) for o in data["orders"]] == [
        ("A1", "sale", "16.500"),
        ("CA1", "cancellation", "-2.000"),
    ]
    line = {"kind": "sale", "note": ""}
    assert data["orders"][0]["lines"] == [
        {"line_number": 1, "sku": "MUG", "name": "Mug", "quantity": 3, "unit_price": "2.000", **line},
        {"line_number": 2, "sku": "JUG", "name": "Jug", "quantity": 1, "unit_price": "10.500", **line},
    ]
    assert data["segments"] == [
        {
            "run": segments.pk,
            "segment": "champions",
            "r": 5,
            "f": 3,
            "m": 4,
            "recency_days": 5,
            "frequency": 2,
            "monetary": "28.500",
            "cluster": 1,
            "predicted_purchases": 1.5,
            "probability_alive": 0.9,
            "predicted_value": "120.00",
        }
    ]
    assert data["recommendations"] == [
        {
            "run": recommendations.pk,
            "rank": 1,
            "sku": "JUG",
            "name": "Jug",
            "score": 0.75,
            "reason": "because_you_bought",
            "because_of": "MUG",
        }
    ]
    assert data["coupons"] == [{"code": "ALICE10", "promotion": "Spring", "uses": 0, "max_uses": 1, "expires_at": None}]
    assert data["redeemed_orders"] == [
        {
            "order_reference": "R-1",
            "subtotal": "12.00",
            "discount": "1.20",
            "total": "10.80",
            "quote": {},
            "created_at": RedeemedOrder.objects.get(order_reference="R-1").created_at.isoformat(),
        }
    ]
    assert data["redemptions"] == [
        {
            "order_reference": "R-1",
            "promotion": "Spring",
            "coupon": None,
            "amount": "1.20",
            "redeemed_at": "2026-03-02T10:00:00+00:00",
        }
    ]
    assert data["promotion_events"] == [
        {"promotion": "Spring", "kind": "click", "channel": "widget", "occurred_at": "2026-03-02T10:00:00+00:00"}
    ]
    assert data["campaign_logs"] == [
        {
            "log": "Spring experiment",
            "position": 0,
            "values": {"customer": ALICE_KEY, "group": "offer", "converted": 1},
        },
        {"log": "Mailing file", "position": 0, "values": {"id": "17850", "segment": "Womens", "visit": "0"}},
    ]
    assert data["uplift_scores"] == [
        {"run": targeting.pk, "arm": "offer", "uplift": 0.125, "planned_offer": "offer"},
        {"run": targeting.pk, "arm": "offer", "uplift": 0.25, "planned_offer": "offer"},
    ]
    json.dumps(data)  # every value is JSON-safe as it stands


def test_a_bare_id_shared_by_two_sources_is_nobodys(store):
    Customer.objects.create(source="api", external_id="17850")

    data = customer_data_export(store["alice"], by="test")

    assert [row["log"] for row in data["campaign_logs"]] == ["Spring experiment"]
    assert [row["uplift"] for row in data["uplift_scores"]] == [0.125]


# --- erasure -----------------------------------------------------------------------------------
def test_erase_detaches_orders_and_removes_exactly_the_customers_rows(store):
    alice, bob = store["alice"], store["bob"]
    alice_pk, reference = alice.pk, customer_reference(alice)
    before = _revenue_and_units()
    earlier_edit = LogEntry.objects.create(
        user_id=_user().pk,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(alice_pk),
        object_repr="17850",
        action_flag=ADDITION,
    )

    summary = customer_erase(alice, by="test")

    assert summary == {
        "orders.Order detached (now guest orders)": 2,
        "segments.CustomerSegment deleted": 1,
        "recommendations.CustomerRecommendation deleted": 1,
        "promotions.CustomerUplift deleted": 2,
        "promotions.Coupon detached and expired": 1,
        "promotions.RedeemedOrder anonymised": 1,
        "promotions.Redemption anonymised": 1,
        "promotions.PromotionEvent anonymised": 1,
        "promotions.CampaignLogRow anonymised": 2,
        "admin.LogEntry anonymised": 1,
        "customers.Customer deleted": 1,
    }
    assert not Customer.objects.filter(pk=alice_pk).exists()
    assert not Customer.objects.filter(external_id="17850").exists()
    # Revenue, units per product and the orders themselves are as they were; Alice's are guests'.
    assert _revenue_and_units() == before
    assert before[:2] == (Decimal("45.500"), {"MUG": 7, "JUG": 3})
    assert dict(Order.objects.values_list("invoice_no", "customer_id")) == {
        "A1": None,
        "CA1": None,
        "B1": bob.pk,
        "G1": None,
    }
    # Per-customer rows: Alice's gone, Bob's untouched.
    assert list(CustomerSegment.objects.values_list("customer_id", "segment")) == [(bob.pk, "loyal")]
    assert list(CustomerRecommendation.objects.values_list("customer_id", flat=True)) == [bob.pk]
    assert list(CustomerUplift.objects.values_list("customer_key", "uplift")) == [(BOB_KEY, -0.5)]
    # Kept rows carry one anonymous key, the same everywhere, so distinct counts stay right.
    anonymous = Redemption.objects.get(order__order_reference="R-1").customer_key
    assert anonymous.startswith("erased:") and len(anonymous) == len("erased:") + 16
    assert dict(Redemption.objects.values_list("order__order_reference", "customer_key")) == {
        "R-1": anonymous,
        "R-2": BOB_KEY,
    }
    assert list(RedeemedOrder.objects.order_by("order_reference").values_list("customer_id", "customer_key")) == [
        (None, anonymous),
        (bob.pk, BOB_KEY),
    ]
    assert sorted(PromotionEvent.objects.values_list("customer_key", flat=True)) == ["", anonymous, BOB_KEY]
    assert [row.values for row in CampaignLogRow.objects.order_by("log__name", "position")] == [
        {"id": anonymous, "segment": "Womens", "visit": "0"},
        {"id": "99999", "segment": "Womens", "visit": "0"},
        {"customer": anonymous, "group": "offer", "converted": 1},
        {"customer": BOB_KEY, "group": "offer", "converted": 1},
    ]
    # The promotion's aggregates do not move; the coupon cannot be used by anyone any more.
    spring = Promotion.objects.get()
    assert (spring.discount_spent, spring.redemptions_count, Redemption.objects.count()) == (Decimal("4.20"), 2, 2)
    coupon = Coupon.objects.get(code="ALICE10")
    assert coupon.customer_id is None and coupon.is_expired()
    earlier_edit.refresh_from_db()
    assert earlier_edit.object_repr == reference
    assert reference.startswith("customer#") and "17850" not in reference


def _user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="editor", defaults={"is_staff": True})
    return user


def test_erase_and_export_logs_never_name_the_customer(store, caplog):
    alice = store["alice"]
    reference = customer_reference(alice)

    with caplog.at_level(logging.INFO, logger="retailhub.privacy"):
        customer_data_export(alice, by="clerk")
        customer_erase(alice, by="clerk")

    messages = [record.getMessage() for record in caplog.records if record.name == "retailhub.privacy"]
    assert len(messages) == 2
    assert messages[0] == f"{reference}: personal data exported by clerk"
    assert messages[1].startswith(f"{reference}: erased by clerk: orders.Order detached (now guest orders)=2, ")
    assert not any("17850" in message for message in messages)


def test_erase_is_all_or_nothing(store, monkeypatch):
    def failing(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Customer, "delete", failing)

    with pytest.raises(RuntimeError):
        customer_erase(store["alice"], by="test")

    assert Order.objects.filter(customer=store["alice"]).count() == 2
    assert CustomerSegment.objects.count() == 2
    assert Redemption.objects.filter(customer_key=ALICE_KEY).count() == 1


def test_reimporting_the_log_after_erasure_links_no_order_again(write_order_log, transactional_db):
    from apps.orders.services import order_log_import
    from tests.orders.test_import_order_log import STORE_LOG

    path = write_order_log(STORE_LOG)
    order_log_import(path=path)
    invoices = set(Order.objects.filter(customer__external_id="17850").values_list("invoice_no", flat=True))
    customer_erase(Customer.objects.get(external_id="17850"), by="test")
    before = _revenue_and_units()

    order_log_import(path=path)

    # The importer skips stored invoices: totals unchanged and the erased customer's invoices stay
    # guest orders. It does create a bare customer row for the id again (see the privacy module).
    assert _revenue_and_units() == before
    assert invoices == {"536365", "536366", "C536368"}
    assert set(Order.objects.filter(invoice_no__in=invoices).values_list("customer_id", flat=True)) == {None}
    assert not Order.objects.filter(customer__external_id="17850").exists()


def test_the_widget_shows_no_personal_data_and_forgets_an_erased_customer(
    store, client, settings, django_capture_on_commit_callbacks
):
    from apps.recommendations.tokens import shopper_token_for

    settings.WIDGET_STATE_TTL_SECONDS = 0  # read the active run and catalogue version on every request
    TrainingRun.objects.filter(kind="recommendations").update(is_active=True)
    token = shopper_token_for("17850")

    served = client.get("/api/widget/v1/for-you", {"token": token})

    body = served.content.decode()
    assert [(item["sku"], item["because_of"]) for item in served.json()["items"]] == [("JUG", "Mug")]
    assert "17850" not in body and "United Kingdom" not in body and "0.75" not in body

    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(store["alice"], by="test")
    after = client.get("/api/widget/v1/for-you", {"token": token}).json()

    # Lists are memoised per web process; the erasure moves the version they are keyed by.
    assert after["items"] == []


# --- commands ----------------------------------------------------------------------------------
def test_export_command_prints_the_customers_json(store):
    out = io.StringIO()

    call_command("customer_export", "17850", stdout=out)

    data = json.loads(out.getvalue())
    assert data["customer"]["external_id"] == "17850"
    assert [order["invoice_no"] for order in data["orders"]] == ["A1", "CA1"]


def test_export_command_writes_a_file(store, tmp_path):
    target = tmp_path / "alice.json"

    call_command("customer_export", "17850", "--source", "online_retail", "--output", str(target), stderr=io.StringIO())

    assert json.loads(target.read_text())["customer"]["external_id"] == "17850"


def test_erase_command_prints_counts_per_table(store):
    out = io.StringIO()

    call_command("customer_erase", "17850", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Erased customer 17850 of online_retail:"
    assert "  orders.Order detached (now guest orders): 2" in lines
    assert "  customers.Customer deleted: 1" in lines
    assert len(lines) == 12
    assert not Customer.objects.filter(external_id="17850").exists()


@pytest.mark.parametrize("command", ["customer_export", "customer_erase"])
def test_commands_name_an_unknown_customer(store, command):
    with pytest.raises(CommandError, match=r"^No customer with external id 55555 in source online_retail$"):
        call_command(command, "55555", "--source", "online_retail")
    with pytest.raises(CommandError, match=r"^No customer with external id 55555$"):
        call_command(command, "55555")


@pytest.mark.parametrize("command", ["customer_export", "customer_erase"])
def test_commands_refuse_an_id_held_by_several_sources(store, command):
    Customer.objects.create(source="api", external_id="17850")

    with pytest.raises(CommandError, match=r"^Customer 17850 exists in several sources \(api, online_retail\): "):
        call_command(command, "17850")

    assert Customer.objects.filter(external_id="17850").count() == 2


def test_source_picks_one_of_several(store):
    api_alice = Customer.objects.create(source="api", external_id="17850")

    call_command("customer_erase", "17850", "--source", "api", stdout=io.StringIO())

    assert not Customer.objects.filter(pk=api_alice.pk).exists()
    assert Order.objects.filter(customer=store["alice"]).count() == 2


# --- admin actions -----------------------------------------------------------------------------
CHANGELIST = "/admin/customers/customer/"


def _staff(django_user_model, name, *codenames):
    user = django_user_model.objects.create_user(name, password="pass-123-pass", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="customers", codename__in=codenames))
    return user


@pytest.fixture
def privacy_officer(client, django_user_model):
    client.force_login(_staff(django_user_model, "officer", "view_customer", "erase_customer"))
    return client


def test_export_action_downloads_one_customers_json(store, privacy_officer):
    alice = store["alice"]

    response = privacy_officer.post(CHANGELIST, {"action": "export_personal_data", "_selected_action": [alice.pk]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customer-data-')
    assert "17850" not in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["customer"]["external_id"] == "17850"
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_id, entry.object_repr) == (CHANGE, str(alice.pk), customer_reference(alice))


def test_export_action_downloads_a_list_for_several(store, privacy_officer):
    selected = [store["alice"].pk, store["bob"].pk]

    response = privacy_officer.post(CHANGELIST, {"action": "export_personal_data", "_selected_action": selected})

    assert [doc["customer"]["external_id"] for doc in json.loads(response.content)] == ["13047", "17850"]
    assert LogEntry.objects.count() == 2


def test_erase_action_confirms_then_erases(store, privacy_officer):
    alice = store["alice"]
    alice_pk, reference = alice.pk, customer_reference(alice)
    form = {"action": "erase_personal_data", "_selected_action": [alice_pk]}

    confirmation = privacy_officer.post(CHANGELIST, form)

    assert confirmation.status_code == 200
    assert confirmation.templates[0].name == "admin/customers/customer/erase_confirmation.html"
    page = confirmation.content.decode()
    assert "17850 (online_retail)" in page and 'name="post" value="yes"' in page
    assert f'name="_selected_action" value="{alice_pk}"' in page
    assert Customer.objects.filter(pk=alice_pk).exists()

    done = privacy_officer.post(CHANGELIST, {**form, "post": "yes"})

    assert done.status_code == 302
    assert not Customer.objects.filter(pk=alice_pk).exists()
    assert Order.objects.filter(invoice_no="A1", customer=None).exists()
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_id, entry.object_repr) == (DELETION, str(alice_pk), reference)
    assert "orders.Order detached (now guest orders): 2" in entry.change_message
    assert "17850" not in entry.change_message


def test_erase_is_not_offered_without_the_permission(store, client, django_user_model):
    client.force_login(_staff(django_user_model, "clerk", "view_customer", "change_customer", "delete_customer"))
    alice = store["alice"]

    page = client.get(CHANGELIST).content.decode()
    attempt = client.post(CHANGELIST, {"action": "erase_personal_data", "_selected_action": [alice.pk], "post": "yes"})

    assert 'value="export_personal_data"' in page
    assert 'value="erase_personal_data"' not in page
    assert attempt.status_code == 302  # back to the list: "no action selected"
    assert Customer.objects.filter(pk=alice.pk).exists()
    assert not LogEntry.objects.exists()


def test_export_needs_the_view_permission(store, client, django_user_model):
    client.force_login(_staff(django_user_model, "stranger"))

    response = client.post(CHANGELIST, {"action": "export_personal_data", "_selected_action": [store["alice"].pk]})

    assert response.status_code == 403
    assert not LogEntry.objects.exists()


def test_every_table_pointing_at_customers_is_covered():
    """A new foreign key to Customer must be added to the export and the erasure: this fails until
    then (and until it is added to this list)."""
    # include_hidden: several of these keys are declared with related_name="+".
    relations = {
        f"{rel.related_model._meta.label}.{rel.field.name}"
        for rel in Customer._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete
    }

    assert relations == {
        "orders.Order.customer",
        "segments.CustomerSegment.customer",
        "recommendations.CustomerRecommendation.customer",
        "promotions.Coupon.customer",
        "promotions.RedeemedOrder.customer",
        "promotions.Redemption.customer",
    }
