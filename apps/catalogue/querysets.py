from django.db import models


class ProductQuerySet(models.QuerySet):
    def merchandise(self):
        return self.filter(kind=self.model.Kind.MERCHANDISE)

    def sellable(self):
        """Active merchandise that is in stock, or whose stock is not tracked."""
        return self.merchandise().filter(is_active=True).exclude(stock_on_hand__lte=0)
