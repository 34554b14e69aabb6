from django.db import models
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum


class OrderQuerySet(models.QuerySet):
    def sales(self):
        return self.filter(kind=self.model.Kind.SALE)

    def placed_between(self, start, end):
        """Orders placed in [start, end)."""
        return self.filter(placed_at__gte=start, placed_at__lt=end)

    def totals(self) -> dict:
        """Order count and net revenue (sales minus cancellations and adjustments)."""
        return self.aggregate(order_count=Count("id"), revenue=Sum("total_amount"))


class OrderLineQuerySet(models.QuerySet):
    def with_amount(self):
        amount = ExpressionWrapper(
            F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=16, decimal_places=3)
        )
        return self.annotate(amount=amount)
