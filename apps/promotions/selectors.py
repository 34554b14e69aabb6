"""Reads for pricing: who the shopper is, which live promotions they are eligible for, which codes
they gave are good, and the priced quote. Redemptions (services.py) call the same functions under
their row locks, so that a quote and its redemption follow one rule."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from apps.catalogue.models import Product
from apps.customers.models import Customer
from apps.orders.models import Order
from apps.promotions.experiment import in_control_group
from apps.promotions.models import Coupon, Promotion, Redemption
from apps.promotions.pricing import Kind, Quote, QuoteLine, Rule, price


class PricingError(ValueError):
    """Bad pricing input: `errors` maps the field ("codes", or "lines" -> line position -> field) to
    its messages, as DRF reports validation errors."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{field}: {messages}" for field, messages in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Shopper:
    """The shopper a quote is for: a known customer, a customer id not seen yet, or a guest."""

    key: str = ""  # "source:external id"; empty for a guest
    customer: Customer | None = None

    @property
    def is_guest(self) -> bool:
        return not self.key

    def is_new(self) -> bool:
        if self.is_guest:
            return False
        return self.customer is None or not Order.objects.filter(customer=self.customer, kind=Order.Kind.SALE).exists()


def shopper_for(*, external_id: str = "", source: str = "") -> Shopper:
    if not external_id:
        return Shopper()
    matches = Customer.objects.filter(external_id=external_id)
    if source:
        matches = matches.filter(source=source)
    found = list(matches[:2])
    if len(found) > 1:
        raise PricingError({"customer_source": [f"Customer {external_id!r} exists in several sources; name one."]})
    if found:
        return Shopper(key=f"{found[0].source}:{external_id}", customer=found[0])
    return Shopper(key=f"{source or 'api'}:{external_id}")


@dataclass(frozen=True)
class RequestedLine:
    sku: str
    quantity: int


def quote_lines(lines: list[RequestedLine]) -> list[QuoteLine]:
    """Catalogue prices for the requested lines: the shopper's client never sets a price."""
    products = {product.sku: product for product in Product.objects.filter(sku__in={line.sku for line in lines})}
    # Keyed by line position, the way DRF reports errors of nested lines.
    errors = {}
    for index, line in enumerate(lines):
        product = products.get(line.sku)
        if product is None:
            errors[str(index)] = {"sku": [f"Unknown SKU {line.sku!r}."]}
        elif not product.is_active:
            errors[str(index)] = {"sku": [f"Product {line.sku!r} is not for sale."]}
    if errors:
        raise PricingError({"lines": errors})
    ancestry = _category_ancestry()
    return [
        QuoteLine(
            sku=line.sku,
            quantity=line.quantity,
            unit_price=products[line.sku].price,
            category_ids=ancestry.get(products[line.sku].category_id, frozenset()),
        )
        for line in lines
    ]


def _category_ancestry() -> dict[int, frozenset[int]]:
    from apps.catalogue.models import Category

    parents = dict(Category.objects.values_list("pk", "parent_id"))
    ancestry = {}
    for pk in parents:
        chain, node = set(), pk
        while node is not None and node not in chain:
            chain.add(node)
            node = parents.get(node)
        ancestry[pk] = frozenset(chain)
    return ancestry


def valid_coupons(codes: list[str], *, shopper: Shopper, at=None) -> list[Coupon]:
    """The coupons behind the codes, or PricingError naming every code that cannot be used."""
    at = at or timezone.now()
    wanted = list(dict.fromkeys(code.strip().upper() for code in codes if code.strip()))
    found = {c.code: c for c in Coupon.objects.filter(code__in=wanted).select_related("promotion")}
    live = set(Promotion.objects.live(at=at).filter(coupons__code__in=wanted).values_list("pk", flat=True))
    problems = []
    for code in wanted:
        coupon = found.get(code)
        if coupon is None:
            problems.append(f"Unknown code {code!r}.")
        elif coupon.is_expired(at):
            problems.append(f"Code {code!r} expired on {coupon.expires_at:%Y-%m-%d}.")
        elif coupon.uses >= coupon.max_uses:
            problems.append(f"Code {code!r} has been used up.")
        elif coupon.customer_id is not None and (shopper.customer is None or coupon.customer_id != shopper.customer.pk):
            problems.append(f"Code {code!r} belongs to another customer.")
        elif coupon.promotion_id not in live:
            problems.append(f"Code {code!r} is for a promotion that is not running.")
    if problems:
        raise PricingError({"codes": problems})
    return [found[code] for code in wanted]


def eligible_promotions(*, shopper: Shopper, coupons: list[Coupon], at=None, lock: bool = False) -> list[Promotion]:
    """Live promotions this shopper gets now: eligibility, per-customer limits and the control group."""
    from apps.segments.selectors import saved_segment_members

    at = at or timezone.now()
    coupon_promotions = {coupon.promotion_id for coupon in coupons}
    promotions = Promotion.objects.live(at=at).select_related("gift_product", "saved_segment")
    if lock:
        # Ordered by id, so that concurrent redemptions lock in the same order and never deadlock.
        promotions = promotions.select_for_update(of=("self",)).order_by("pk")
    chosen = []
    for promotion in promotions:
        eligibility = promotion.eligibility
        if eligibility == Promotion.Eligibility.COUPON_HOLDERS and promotion.pk not in coupon_promotions:
            continue
        if eligibility == Promotion.Eligibility.NEW_CUSTOMERS and not shopper.is_new():
            continue
        if eligibility == Promotion.Eligibility.SEGMENT:
            if shopper.customer is None:
                continue
            if not saved_segment_members(promotion.saved_segment).filter(customer=shopper.customer).exists():
                continue
        if promotion.per_customer_limit is not None:
            if shopper.is_guest:
                continue
            used = Redemption.objects.filter(promotion=promotion, customer_key=shopper.key).count()
            if used >= promotion.per_customer_limit:
                continue
        # A held-out shopper is the comparison the results page measures lift against.
        if (
            promotion.holdout_percent
            and not shopper.is_guest
            and in_control_group(promotion_id=promotion.pk, customer_key=shopper.key, percent=promotion.holdout_percent)
        ):
            continue
        chosen.append(promotion)
    return chosen


@dataclass(frozen=True)
class Scope:
    skus: frozenset[str] | None = None
    category_ids: frozenset[int] | None = None


def promotion_scopes(promotions: list[Promotion]) -> dict[int, Scope]:
    """Each promotion's SKUs or categories, read as plain values from the link tables: a quote is
    on the storefront's path, and building a model object for every product in scope cost most of
    a quote's time."""
    by_products = [p.pk for p in promotions if p.scope == Promotion.Scope.PRODUCTS]
    by_categories = [p.pk for p in promotions if p.scope == Promotion.Scope.CATEGORIES]
    skus: dict[int, set[str]] = {pk: set() for pk in by_products}
    categories: dict[int, set[int]] = {pk: set() for pk in by_categories}
    links = Promotion.products.through.objects.filter(promotion_id__in=by_products)
    for promotion_id, sku in links.values_list("promotion_id", "product__sku"):
        skus[promotion_id].add(sku)
    links = Promotion.categories.through.objects.filter(promotion_id__in=by_categories)
    for promotion_id, category_id in links.values_list("promotion_id", "category_id"):
        categories[promotion_id].add(category_id)
    scopes = {pk: Scope(skus=frozenset(values)) for pk, values in skus.items()}
    scopes.update({pk: Scope(category_ids=frozenset(values)) for pk, values in categories.items()})
    return scopes


def rule_for(promotion: Promotion, *, scope: Scope | None = None, coupon_code: str = "") -> Rule:
    scope = scope or promotion_scopes([promotion]).get(promotion.pk, Scope())
    skus, categories = scope.skus, scope.category_ids
    gift = promotion.gift_product
    return Rule(
        promotion_id=promotion.pk,
        name=promotion.name,
        kind=Kind(promotion.kind),
        value=promotion.value,
        min_spend=promotion.min_spend,
        buy_quantity=promotion.buy_quantity,
        get_quantity=promotion.get_quantity,
        gift_sku=gift.sku if gift else "",
        gift_value=gift.price if gift else Decimal("0"),
        skus=skus,
        category_ids=categories,
        exclusive=promotion.exclusive,
        priority=promotion.priority,
        budget_left=promotion.budget_left,
        coupon_code=coupon_code,
    )


@dataclass(frozen=True)
class PricedBasket:
    quote: Quote
    shopper: Shopper
    coupons: list[Coupon]


def pricing_quote(
    *,
    lines: list[RequestedLine],
    customer: str = "",
    customer_source: str = "",
    codes: list[str] = (),
    shipping: Decimal = Decimal("0"),
    at=None,
    lock: bool = False,
) -> PricedBasket:
    """The basket priced under every promotion the shopper gets now. PricingError on bad input."""
    if not lines:
        raise PricingError({"lines": ["Give at least one line."]})
    shopper = shopper_for(external_id=customer, source=customer_source)
    quote_input = quote_lines(lines)
    coupons = valid_coupons(list(codes), shopper=shopper, at=at)
    code_of = {coupon.promotion_id: coupon.code for coupon in coupons}
    promotions = eligible_promotions(shopper=shopper, coupons=coupons, at=at, lock=lock)
    scopes = promotion_scopes(promotions)
    rules = [
        rule_for(promotion, scope=scopes.get(promotion.pk, Scope()), coupon_code=code_of.get(promotion.pk, ""))
        for promotion in promotions
    ]
    quote = price(quote_input, rules, shipping=shipping)
    return PricedBasket(quote=quote, shopper=shopper, coupons=coupons)
