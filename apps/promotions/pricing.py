"""Pricing: what a basket costs once the promotions that apply to it are applied. Pure Python and
Decimal, no Django, so that the rules can be proved by property tests in milliseconds and read in one
place. The database side (which promotions are live, who is eligible, coupons, budgets left) builds
the `Rule`s; this module only prices.

Money and rounding. A line's subtotal is quantity x unit price, rounded half-up to the cent. Every
discount is computed on the amount still left on a line after the promotions applied before it, and is
rounded half-up to the cent on that line when computed; totals are sums of the rounded lines, so they
always add up. An amount spread over several lines (spend-and-save, a budget cut) is shared in
proportion to what is left on each line, cents by the largest remainder, ties by SKU.

Kinds (the `value` field means something per kind):

    percent_off     value % off each in-scope line (0 < value <= 100)
    amount_off      value off each in-scope unit, at most the unit's price
    fixed_price     each in-scope unit sells at value (no change where it is already cheaper)
    spend_and_save  value off the in-scope lines once they reach min_spend
    buy_x_get_y     for every buy_quantity + get_quantity in-scope units, the get_quantity cheapest
                    units overall are value % off (100: free; the cheapest overall, so the customer
                    gets the same whichever way the basket is listed)
    free_gift       gift_sku added at no charge once the in-scope lines reach min_spend
    free_shipping   shipping free once the in-scope lines reach min_spend

Stacking. Stackable promotions apply one after another, highest priority first (ties by id), each on
what the previous ones left. An exclusive promotion applies alone. The customer gets the better of the
stack of stackable promotions and each exclusive promotion alone, by total saving (discount, shipping
and gift value); on a tie an exclusive promotion of higher priority wins, then the stack.

Budgets. A rule's `budget_left` caps what this quote gives under it (the rest of the budget); the
cap is shared across its lines like any spread amount. A gift worth more than what is left is not given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


class Kind(StrEnum):
    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    FIXED_PRICE = "fixed_price"
    SPEND_AND_SAVE = "spend_and_save"
    BUY_X_GET_Y = "buy_x_get_y"
    FREE_GIFT = "free_gift"
    FREE_SHIPPING = "free_shipping"


@dataclass(frozen=True)
class QuoteLine:
    sku: str
    quantity: int
    unit_price: Decimal
    # The product's category and the categories above it, for category-scoped promotions.
    category_ids: frozenset[int] = frozenset()

    @property
    def subtotal(self) -> Decimal:
        return to_cents(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Rule:
    promotion_id: int
    name: str
    kind: Kind
    value: Decimal = ZERO
    min_spend: Decimal = ZERO
    buy_quantity: int = 0
    get_quantity: int = 0
    gift_sku: str = ""
    gift_value: Decimal = ZERO
    # None: every product; otherwise the SKUs and categories the promotion covers.
    skus: frozenset[str] | None = None
    category_ids: frozenset[int] | None = None
    exclusive: bool = False
    priority: int = 0
    budget_left: Decimal | None = None
    coupon_code: str = ""

    def covers(self, line: QuoteLine) -> bool:
        if self.skus is None and self.category_ids is None:
            return True
        return bool(
            (self.skus and line.sku in self.skus) or (self.category_ids and line.category_ids & self.category_ids)
        )


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    discount: Decimal
    total: Decimal


@dataclass(frozen=True)
class Applied:
    """One promotion's effect on the quote: its discount on each line (by the line's position in the
    request), on shipping, and the gift it adds."""

    promotion_id: int
    name: str
    kind: Kind
    line_discounts: dict[int, Decimal]
    shipping_discount: Decimal = ZERO
    gift_sku: str = ""
    gift_value: Decimal = ZERO
    coupon_code: str = ""

    @property
    def discount(self) -> Decimal:
        return sum(self.line_discounts.values(), ZERO)

    @property
    def saving(self) -> Decimal:
        """What the customer is better off by; what the promotion's budget pays."""
        return self.discount + self.shipping_discount + self.gift_value


@dataclass(frozen=True)
class Quote:
    lines: tuple[PricedLine, ...]
    applied: tuple[Applied, ...]
    shipping: Decimal = ZERO
    gifts: tuple[str, ...] = field(default=())

    @property
    def subtotal(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)

    @property
    def shipping_discount(self) -> Decimal:
        return sum((applied.shipping_discount for applied in self.applied), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount + self.shipping - self.shipping_discount


def price(lines: list[QuoteLine], rules: list[Rule], *, shipping: Decimal = ZERO) -> Quote:
    """Price the lines under the rules (all of which the caller found live and the customer eligible for)."""
    if any(line.quantity < 1 for line in lines):
        raise ValueError("quantity: every line needs at least one unit")
    if any(line.unit_price < 0 for line in lines) or shipping < 0:
        raise ValueError("unit_price: prices cannot be negative")
    shipping = to_cents(shipping)
    # Lines are worked through in one canonical order, whatever order the request listed them in.
    order = sorted(range(len(lines)), key=lambda i: (lines[i].sku, lines[i].unit_price, lines[i].quantity, i))

    stackable = sorted((r for r in rules if not r.exclusive), key=lambda r: (-r.priority, r.promotion_id))
    exclusive = sorted((r for r in rules if r.exclusive), key=lambda r: (-r.priority, r.promotion_id))
    options = [_apply_in_turn(lines, order, [rule], shipping) for rule in exclusive]
    options.append(_apply_in_turn(lines, order, stackable, shipping))
    # max() keeps the first of equal savings: exclusive ones by priority, then the stack.
    applied = max(options, key=lambda option: sum((a.saving for a in option), ZERO))

    line_discount = [ZERO] * len(lines)
    for effect in applied:
        for index, amount in effect.line_discounts.items():
            line_discount[index] += amount
    priced = tuple(
        PricedLine(
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            subtotal=line.subtotal,
            discount=line_discount[i],
            total=line.subtotal - line_discount[i],
        )
        for i, line in enumerate(lines)
    )
    gifts = tuple(effect.gift_sku for effect in applied if effect.gift_sku)
    return Quote(lines=priced, applied=tuple(applied), shipping=shipping, gifts=gifts)


def _apply_in_turn(lines, order, rules, shipping) -> list[Applied]:
    left = {i: lines[i].subtotal for i in order}
    shipping_left = shipping
    applied = []
    for rule in rules:
        effect = _apply(rule, lines, order, left, shipping_left)
        if effect is None or effect.saving <= 0:
            continue
        for index, amount in effect.line_discounts.items():
            left[index] -= amount
        shipping_left -= effect.shipping_discount
        applied.append(effect)
    return applied


def _apply(rule: Rule, lines, order, left: dict[int, Decimal], shipping_left: Decimal) -> Applied | None:
    in_scope = [i for i in order if rule.covers(lines[i]) and left[i] > 0]
    base = sum((left[i] for i in in_scope), ZERO)
    discounts: dict[int, Decimal] = {}
    shipping_discount = ZERO
    gift_sku, gift_value = "", ZERO

    if rule.kind == Kind.PERCENT_OFF:
        discounts = {i: to_cents(left[i] * rule.value / HUNDRED) for i in in_scope}
    elif rule.kind == Kind.AMOUNT_OFF:
        discounts = {i: to_cents(rule.value * lines[i].quantity) for i in in_scope}
    elif rule.kind == Kind.FIXED_PRICE:
        discounts = {i: left[i] - to_cents(rule.value * lines[i].quantity) for i in in_scope}
    elif rule.kind == Kind.SPEND_AND_SAVE:
        if in_scope and base >= rule.min_spend:
            discounts = _share(min(to_cents(rule.value), base), in_scope, left)
    elif rule.kind == Kind.BUY_X_GET_Y:
        discounts = _cheapest_units_off(rule, lines, in_scope, left)
    elif rule.kind == Kind.FREE_GIFT:
        if in_scope and base >= rule.min_spend:
            gift_sku, gift_value = rule.gift_sku, to_cents(rule.gift_value)
    elif rule.kind == Kind.FREE_SHIPPING and in_scope and base >= rule.min_spend:
        shipping_discount = shipping_left

    # A discount never takes a line below zero, and never adds to a price.
    discounts = {i: min(max(amount, ZERO), left[i]) for i, amount in discounts.items()}
    discounts = {i: amount for i, amount in discounts.items() if amount > 0}

    if rule.budget_left is not None:
        budget = max(to_cents(rule.budget_left), ZERO)
        if gift_value > budget:
            gift_sku, gift_value = "", ZERO
        budget -= gift_value
        shipping_discount = min(shipping_discount, budget)
        budget -= shipping_discount
        total = sum(discounts.values(), ZERO)
        if total > budget:
            discounts = {i: amount for i, amount in _share(budget, list(discounts), discounts).items() if amount > 0}

    return Applied(
        promotion_id=rule.promotion_id,
        name=rule.name,
        kind=rule.kind,
        line_discounts=discounts,
        shipping_discount=shipping_discount,
        gift_sku=gift_sku,
        gift_value=gift_value,
        coupon_code=rule.coupon_code,
    )


def _cheapest_units_off(rule: Rule, lines, in_scope: list[int], left: dict[int, Decimal]) -> dict[int, Decimal]:
    group = rule.buy_quantity + rule.get_quantity
    if rule.buy_quantity < 1 or rule.get_quantity < 1:
        return {}
    units = sum(lines[i].quantity for i in in_scope)
    to_discount = (units // group) * rule.get_quantity
    discounts = {}
    # Cheapest by what is left per unit; the canonical order breaks ties.
    for i in sorted(in_scope, key=lambda i: left[i] / lines[i].quantity):
        if to_discount == 0:
            break
        taken = min(lines[i].quantity, to_discount)
        to_discount -= taken
        discounts[i] = to_cents(left[i] * taken / lines[i].quantity * rule.value / HUNDRED)
    return discounts


def _share(amount: Decimal, indices: list[int], weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split amount (in cents) over indices in proportion to weights, never more than a weight;
    leftover cents by largest remainder, ties in the given order."""
    total = sum((weights[i] for i in indices), ZERO)
    if total <= 0 or amount <= 0:
        return {}
    amount = min(amount, total)
    exact = {i: amount * weights[i] / total for i in indices}
    shares = {i: exact[i].quantize(CENT, rounding=ROUND_DOWN) for i in indices}
    cents_left = int((amount - sum(shares.values(), ZERO)) / CENT)
    by_remainder = sorted(indices, key=lambda i: -(exact[i] - shares[i]))
    for i in by_remainder[:cents_left]:
        shares[i] += CENT
    return shares
