"""What makes a promotion's definition valid, in one place for the admin form and the API: each
error is keyed by the field to fix. Scope is passed in explicitly because a new promotion's products
and categories are not saved yet when it is checked."""

from decimal import Decimal

from django.db.models import Q

from apps.promotions.pricing import Kind

PERCENT_KINDS = {Kind.PERCENT_OFF, Kind.BUY_X_GET_Y}
VALUE_KINDS = {Kind.PERCENT_OFF, Kind.AMOUNT_OFF, Kind.FIXED_PRICE, Kind.SPEND_AND_SAVE, Kind.BUY_X_GET_Y}


def promotion_errors(promotion, *, product_ids=None, category_ids=None) -> dict[str, str]:
    """Field -> message for everything wrong with the promotion; empty when it is valid."""
    from apps.promotions.models import Promotion

    errors: dict[str, str] = {}
    kind = promotion.kind
    value = promotion.value if promotion.value is not None else Decimal("0")
    if kind not in Kind.__members__.values():
        errors["kind"] = f"Unknown kind {kind!r}."
    if value < 0:
        errors["value"] = "A discount cannot be negative."
    elif kind in PERCENT_KINDS and value > 100:
        errors["value"] = "A percentage cannot exceed 100."
    elif kind in VALUE_KINDS and value == 0 and kind != Kind.FIXED_PRICE:
        errors["value"] = "Give the discount (greater than 0)."
    if promotion.min_spend is not None and promotion.min_spend < 0:
        errors["min_spend"] = "Minimum spend cannot be negative."
    if kind == Kind.SPEND_AND_SAVE and not errors.get("value") and value > (promotion.min_spend or 0) > 0:
        errors["value"] = "Saving more than the spend it needs would make baskets free."
    if kind == Kind.BUY_X_GET_Y:
        if not promotion.buy_quantity:
            errors["buy_quantity"] = "Buy X get Y needs X (at least 1)."
        if not promotion.get_quantity:
            errors["get_quantity"] = "Buy X get Y needs Y (at least 1)."
    if kind == Kind.FREE_GIFT and not promotion.gift_product_id:
        errors["gift_product"] = "A free gift promotion needs the gift product."
    if promotion.starts_at and promotion.ends_at and promotion.ends_at <= promotion.starts_at:
        errors["ends_at"] = "The end must come after the start."
    if promotion.budget is not None and promotion.budget <= 0:
        errors["budget"] = "A budget must be greater than 0 (leave it empty for none)."
    if promotion.eligibility == Promotion.Eligibility.SEGMENT and not promotion.saved_segment_id:
        errors["saved_segment"] = "Choose the saved segment the promotion is for."
    if promotion.holdout_percent is not None and not (0 <= promotion.holdout_percent <= 90):
        errors["holdout_percent"] = "The control group takes 0 to 90 percent."

    if product_ids is None and promotion.pk:
        product_ids = list(promotion.products.values_list("pk", flat=True))
    if category_ids is None and promotion.pk:
        category_ids = list(promotion.categories.values_list("pk", flat=True))
    if promotion.scope == Promotion.Scope.PRODUCTS and not product_ids:
        errors["products"] = "Choose the products the promotion covers."
    if promotion.scope == Promotion.Scope.CATEGORIES and not category_ids:
        errors["categories"] = "Choose the categories the promotion covers."

    if promotion.exclusive and promotion.starts_at and "ends_at" not in errors:
        clash = overlapping_exclusive(promotion, product_ids=product_ids or [], category_ids=category_ids or [])
        if clash is not None:
            errors["priority"] = (
                f"Exclusive promotion {clash.name!r} (id {clash.pk}) runs at the same time on the same "
                f"products with the same priority {promotion.priority}; give one of them another priority."
            )
    return errors


def overlapping_exclusive(promotion, *, product_ids, category_ids):
    """Another exclusive, not stopped promotion of the same priority whose schedule and scope meet this
    one's. Such a pair would leave a tie in savings to chance, so it is refused."""
    from apps.promotions.models import Promotion

    others = Promotion.objects.filter(exclusive=True, priority=promotion.priority).exclude(
        status=Promotion.Status.STOPPED
    )
    if promotion.pk:
        others = others.exclude(pk=promotion.pk)
    if promotion.ends_at:
        others = others.filter(starts_at__lt=promotion.ends_at)
    others = others.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=promotion.starts_at))
    for other in others.prefetch_related("products", "categories"):
        if _scopes_meet(promotion.scope, set(product_ids), set(category_ids), other):
            return other
    return None


def _scopes_meet(scope, product_ids, category_ids, other) -> bool:
    from apps.promotions.models import Promotion

    if Promotion.Scope.EVERYTHING in (scope, other.scope):
        return True
    other_products = {p.pk for p in other.products.all()}
    other_categories = {c.pk for c in other.categories.all()}
    if scope == other.scope == Promotion.Scope.PRODUCTS:
        return bool(product_ids & other_products)
    if scope == other.scope == Promotion.Scope.CATEGORIES:
        return bool(category_ids & other_categories)
    # A product scope against a category scope: they meet where a product sits in a category.
    from apps.catalogue.models import Product

    products = product_ids or other_products
    categories = category_ids or other_categories
    return Product.objects.filter(pk__in=products, category_id__in=categories).exists()
