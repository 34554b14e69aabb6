"""Properties every quote keeps, on baskets and promotions drawn by hypothesis: totals never negative,
no discount bigger than what it discounts, the same totals whatever the line order, and stacking as
documented (an exclusive promotion alone, the customer's best option chosen)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.promotions.pricing import ZERO, Kind, QuoteLine, Rule, price

SKUS = ["A", "B", "C", "D", "E"]
money = st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=3)
lines = st.lists(
    st.builds(
        QuoteLine,
        sku=st.sampled_from(SKUS),
        quantity=st.integers(min_value=1, max_value=20),
        unit_price=money,
        category_ids=st.frozensets(st.integers(min_value=1, max_value=3), max_size=2),
    ),
    min_size=1,
    max_size=6,
)


@st.composite
def rules(draw):
    kind = draw(st.sampled_from(list(Kind)))
    percent = kind in (Kind.PERCENT_OFF, Kind.BUY_X_GET_Y)
    value = draw(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)
        if percent
        else st.decimals(min_value=Decimal("0"), max_value=Decimal("300"), places=2)
    )
    scope = draw(st.sampled_from(["all", "skus", "categories"]))
    return Rule(
        promotion_id=draw(st.integers(min_value=1, max_value=10_000)),
        name="P",
        kind=kind,
        value=value,
        min_spend=draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("200"), places=2)),
        buy_quantity=draw(st.integers(min_value=1, max_value=4)),
        get_quantity=draw(st.integers(min_value=1, max_value=3)),
        gift_sku="GIFT",
        gift_value=draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("20"), places=2)),
        skus=frozenset(draw(st.lists(st.sampled_from(SKUS), max_size=3))) if scope == "skus" else None,
        category_ids=frozenset(draw(st.lists(st.integers(1, 3), max_size=2))) if scope == "categories" else None,
        exclusive=draw(st.booleans()),
        priority=draw(st.integers(min_value=0, max_value=3)),
        budget_left=draw(st.none() | st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)),
    )


promotions = st.lists(rules(), max_size=5, unique_by=lambda r: r.promotion_id)
shipping = st.decimals(min_value=Decimal("0"), max_value=Decimal("20"), places=2)


@settings(max_examples=300, deadline=None)
@given(lines, promotions, shipping)
def test_totals_are_never_negative_and_add_up(basket, offers, ship):
    quote = price(basket, offers, shipping=ship)
    assert quote.total >= 0
    assert all(lq.total >= 0 for lq in quote.lines)
    assert quote.total == sum((lq.total for lq in quote.lines), ZERO) + quote.shipping - quote.shipping_discount
    assert all(lq.discount == lq.discount.quantize(Decimal("0.01")) for lq in quote.lines)


@settings(max_examples=300, deadline=None)
@given(lines, promotions, shipping)
def test_no_discount_exceeds_what_it_discounts(basket, offers, ship):
    quote = price(basket, offers, shipping=ship)
    for lq in quote.lines:
        assert ZERO <= lq.discount <= lq.subtotal
    assert ZERO <= quote.shipping_discount <= quote.shipping
    for applied in quote.applied:
        rule = next(r for r in offers if r.promotion_id == applied.promotion_id)
        assert applied.saving > 0
        if rule.budget_left is not None:
            assert applied.saving <= rule.budget_left
        for index in applied.line_discounts:
            assert rule.covers(basket[index])


@settings(max_examples=300, deadline=None)
@given(lines, promotions, shipping, st.randoms(use_true_random=False))
def test_line_order_does_not_change_totals(basket, offers, ship, random):
    shuffled = basket[:]
    random.shuffle(shuffled)
    first, second = price(basket, offers, shipping=ship), price(shuffled, offers, shipping=ship)
    assert (first.subtotal, first.discount, first.shipping_discount, first.total) == (
        second.subtotal,
        second.discount,
        second.shipping_discount,
        second.total,
    )
    assert sorted(a.promotion_id for a in first.applied) == sorted(a.promotion_id for a in second.applied)


@settings(max_examples=300, deadline=None)
@given(lines, promotions, shipping)
def test_stacking_rules_hold(basket, offers, ship):
    quote = price(basket, offers, shipping=ship)
    chosen = {a.promotion_id: a for a in quote.applied}
    by_id = {r.promotion_id: r for r in offers}
    exclusive = [pid for pid in chosen if by_id[pid].exclusive]
    # An exclusive promotion applies alone.
    assert not exclusive or len(chosen) == 1
    # Stackable ones apply highest priority first.
    order = [(-by_id[pid].priority, pid) for pid in chosen]
    assert order == sorted(order)
    # No single exclusive offer, nor the whole stack, would have saved the customer more.
    saving = sum((a.saving for a in quote.applied), ZERO)
    for rule in offers:
        if rule.exclusive:
            assert saving >= sum((a.saving for a in price(basket, [rule], shipping=ship).applied), ZERO)
    stack = [r for r in offers if not r.exclusive]
    assert saving >= sum((a.saving for a in price(basket, stack, shipping=ship).applied), ZERO)
