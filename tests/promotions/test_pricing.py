"""The pricing rules on baskets small enough to price by hand."""

from decimal import Decimal as D

import pytest

from apps.promotions.pricing import Kind, QuoteLine, Rule, price


def line(sku, quantity, unit_price, categories=()):
    return QuoteLine(sku=sku, quantity=quantity, unit_price=D(unit_price), category_ids=frozenset(categories))


def rule(promotion_id, kind, value="0", **fields):
    return Rule(promotion_id=promotion_id, name=f"P{promotion_id}", kind=kind, value=D(value), **fields)


def test_no_promotion_prices_at_catalogue_price_rounded_to_the_cent():
    quote = price([line("A", 3, "0.165"), line("B", 1, "2.50")], [])
    # 3 x 0.165 = 0.495 -> 0.50 (half up)
    assert [lq.subtotal for lq in quote.lines] == [D("0.50"), D("2.50")]
    assert (quote.subtotal, quote.discount, quote.total) == (D("3.00"), D("0.00"), D("3.00"))


def test_percent_off_rounds_each_line_half_up():
    quote = price([line("A", 1, "9.99"), line("B", 2, "0.25")], [rule(1, Kind.PERCENT_OFF, "15")])
    # 9.99 x 15% = 1.4985 -> 1.50; 0.50 x 15% = 0.075 -> 0.08
    assert [lq.discount for lq in quote.lines] == [D("1.50"), D("0.08")]
    assert quote.total == D("8.91")


def test_amount_off_each_unit_never_below_zero():
    quote = price([line("A", 2, "3.00"), line("B", 1, "0.40")], [rule(1, Kind.AMOUNT_OFF, "0.50")])
    assert [lq.discount for lq in quote.lines] == [D("1.00"), D("0.40")]
    assert quote.total == D("5.00")


def test_fixed_price_only_lowers_prices():
    quote = price([line("A", 2, "3.00"), line("B", 1, "1.50")], [rule(1, Kind.FIXED_PRICE, "2.00")])
    assert [lq.total for lq in quote.lines] == [D("4.00"), D("1.50")]


def test_spend_and_save_needs_the_threshold_and_is_shared_by_largest_remainder():
    rules = [rule(1, Kind.SPEND_AND_SAVE, "1.00", min_spend=D("3.00"))]
    assert price([line("A", 1, "2.99")], rules).discount == D("0.00")
    quote = price([line("A", 1, "1.00"), line("B", 1, "1.00"), line("C", 1, "1.00")], rules)
    # 1.00 / 3 = 0.333.. each; the leftover cent goes to the first by SKU
    assert [lq.discount for lq in quote.lines] == [D("0.34"), D("0.33"), D("0.33")]
    assert quote.total == D("2.00")


def test_buy_two_get_one_free_takes_the_cheapest_units_whatever_the_order():
    rules = [rule(1, Kind.BUY_X_GET_Y, "100", buy_quantity=2, get_quantity=1)]
    basket = [line("A", 2, "10.00"), line("B", 3, "4.00"), line("C", 1, "6.00")]
    quote = price(basket, rules)
    # 6 units -> 2 free, the two cheapest: two units of B
    assert [lq.discount for lq in quote.lines] == [D("0.00"), D("8.00"), D("0.00")]
    reversed_quote = price(basket[::-1], rules)
    # 20.00 + 12.00 + 6.00 - 8.00
    assert reversed_quote.total == quote.total == D("30.00")


def test_buy_one_get_one_half_price():
    quote = price([line("A", 3, "5.00")], [rule(1, Kind.BUY_X_GET_Y, "50", buy_quantity=1, get_quantity=1)])
    # 3 units -> one pair -> one unit at half price
    assert quote.discount == D("2.50")


def test_scope_by_product_and_by_category_including_subcategories():
    basket = [line("A", 1, "10.00", categories={5, 1}), line("B", 1, "10.00", categories={2})]
    by_category = price(basket, [rule(1, Kind.PERCENT_OFF, "10", category_ids=frozenset({1}))])
    by_product = price(basket, [rule(1, Kind.PERCENT_OFF, "10", skus=frozenset({"B"}))])
    assert [lq.discount for lq in by_category.lines] == [D("1.00"), D("0.00")]
    assert [lq.discount for lq in by_product.lines] == [D("0.00"), D("1.00")]


def test_free_gift_and_free_shipping_above_the_threshold():
    rules = [
        rule(1, Kind.FREE_GIFT, gift_sku="GIFT", gift_value=D("3.00"), min_spend=D("20")),
        rule(2, Kind.FREE_SHIPPING, min_spend=D("25")),
    ]
    small = price([line("A", 1, "20.00")], rules, shipping=D("4.95"))
    assert small.gifts == ("GIFT",) and small.shipping_discount == D("0.00") and small.total == D("24.95")
    large = price([line("A", 2, "20.00")], rules, shipping=D("4.95"))
    assert large.shipping_discount == D("4.95") and large.total == D("40.00")
    assert [a.saving for a in large.applied] == [D("3.00"), D("4.95")]


def test_stackable_promotions_apply_in_priority_order_on_what_is_left():
    rules = [rule(1, Kind.AMOUNT_OFF, "2.00", priority=1), rule(2, Kind.PERCENT_OFF, "50", priority=5)]
    quote = price([line("A", 1, "10.00")], rules)
    # priority 5 first: 10.00 - 5.00 = 5.00, then 2.00 off: 3.00
    assert [(a.promotion_id, a.discount) for a in quote.applied] == [(2, D("5.00")), (1, D("2.00"))]
    assert quote.total == D("3.00")


def test_the_best_for_the_customer_wins_between_exclusive_offers_and_the_stack():
    stack = [rule(1, Kind.PERCENT_OFF, "10"), rule(2, Kind.AMOUNT_OFF, "1.00")]
    exclusive = [rule(3, Kind.PERCENT_OFF, "25", exclusive=True), rule(4, Kind.PERCENT_OFF, "20", exclusive=True)]
    quote = price([line("A", 1, "10.00")], stack + exclusive)
    # stack: 1.00 + 1.00 = 2.00; exclusive 25%: 2.50 wins, alone
    assert [a.promotion_id for a in quote.applied] == [3]
    small = price([line("A", 1, "4.00")], stack + exclusive)
    # stack: 0.40 + 1.00 = 1.40 beats 25% of 4.00 = 1.00
    assert [a.promotion_id for a in small.applied] == [1, 2]


def test_budget_left_caps_the_discount_and_a_gift_worth_more_is_not_given():
    capped = price(
        [line("A", 1, "10.00"), line("B", 1, "30.00")], [rule(1, Kind.PERCENT_OFF, "50", budget_left=D("8"))]
    )
    # 5.00 + 15.00 cut to 8.00 in proportion: 2.00 and 6.00
    assert [lq.discount for lq in capped.lines] == [D("2.00"), D("6.00")]
    gift = price(
        [line("A", 1, "10.00")], [rule(1, Kind.FREE_GIFT, gift_sku="G", gift_value=D("5"), budget_left=D("4"))]
    )
    assert gift.gifts == () and gift.applied == ()


def test_bad_lines_are_refused():
    with pytest.raises(ValueError, match="quantity"):
        price([line("A", 0, "1.00")], [])
    with pytest.raises(ValueError, match="unit_price"):
        price([line("A", 1, "-1.00")], [])
