"""Benchmark: the pricing API under load, against a plain Django view.

The app runs under gunicorn on this machine (PostgreSQL, Redis cache) with the full UCI Online
Retail log imported (its catalogue and customers) and twelve live promotions of every kind: five
percent-off on 200 SKUs each, amount off, fixed price and buy-2-get-1 on 100 SKUs each, spend 50
save 5 store-wide, free shipping over 100, an exclusive 20% for coupon holders (the basket's code)
and a new-customer offer, one of them with a 10% control group and a per-customer limit. wrk posts
a six-line basket of a known customer with a coupon code to /api/v1/pricing/quote, and the same
basket with a new order reference on every request to /api/v1/pricing/redeem (written, counters
moved under row locks); the peer is a plain Django view returning a constant JSON, served by the
same gunicorn in the same run. Prints one JSON line: requests/s, p99 latency and errors per
endpoint, and each as a fraction of the peer's throughput.

    .venv/bin/python bench/pricing.py          (needs wrk: apt-get install wrk)
"""

import json
import os
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

from http_load import (
    DATA,
    LOAD,
    PEER,
    SERVER,
    gunicorn,
    manage,
    medians_over_rounds,
    ratios_to_peer,
    recreate_database,
    served_env,
)

DATABASE = "retailhub_bench_pricing"
PORT = int(os.environ.get("BENCH_PORT", "8766"))
ENV = served_env(DATABASE)

# Run inside `manage.py shell`: the promotions, a coupon and an API key; prints the request body.
SETUP = """
import datetime, json
from decimal import Decimal
from django.db.models import Count
from django.utils import timezone
from apps.catalogue.models import Product
from apps.core.models import IntegrationKey
from apps.customers.models import Customer
from apps.promotions.models import Coupon, Promotion, RedeemedOrder

RedeemedOrder.objects.all().delete()
Promotion.objects.all().delete()
skus = list(Product.objects.filter(kind="merchandise").annotate(n=Count("order_lines")).order_by("-n")
            .values_list("sku", flat=True)[:1200])
start = timezone.now() - datetime.timedelta(days=1)

def promotion(name, kind, value="0", products=(), **fields):
    scope = "products" if products else "everything"
    p = Promotion.objects.create(name=name, kind=kind, value=Decimal(value), scope=scope, starts_at=start,
                                 status="active", **fields)
    if products:
        p.products.set(Product.objects.filter(sku__in=products))
    return p

for i in range(5):
    promotion(f"{5 + i}% off range {i}", "percent_off", str(5 + i), skus[i * 200:(i + 1) * 200], priority=i)
promotion("0.10 off each", "amount_off", "0.10", skus[1000:1100])
promotion("Fixed 1.00", "fixed_price", "1.00", skus[1100:1200])
promotion("Buy 2 get 1", "buy_x_get_y", "100", skus[:100], buy_quantity=2, get_quantity=1,
          holdout_percent=Decimal("10"), per_customer_limit=1000000)
promotion("Spend 50 save 5", "spend_and_save", "5", min_spend=Decimal("50"))
promotion("Free shipping over 100", "free_shipping", min_spend=Decimal("100"))
vip = promotion("VIP 20%", "percent_off", "20", exclusive=True, eligibility="coupon_holders")
promotion("Welcome", "amount_off", "1", eligibility="new_customers")
Coupon.objects.create(promotion=vip, code="BENCHVIP", max_uses=1000000000)
IntegrationKey.objects.filter(name="bench-pricing").delete()
_, key = IntegrationKey.objects.create_key(name="bench-pricing", scope="read_write")
customer = Customer.objects.annotate(n=Count("orders")).order_by("-n").first()
basket = {"lines": [{"sku": sku, "quantity": q} for sku, q in zip(skus[::200][:6], (1, 2, 3, 6, 12, 24))],
          "customer": customer.external_id, "codes": ["BENCHVIP"], "shipping": "4.95"}
print(json.dumps({"key": key, "basket": basket}))
"""

POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "{key}"
local body = [[{body}]]
local counter = 0
local thread_tag = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  local reference = thread_tag .. "-" .. counter
  return wrk.format(nil, nil, nil, (body:gsub("__ORDER__", reference)))
end
"""


def prepare() -> dict:
    if os.environ.get("BENCH_REUSE") != "1":
        recreate_database(DATABASE)
        manage(ENV, "migrate", "-v", "0")
        log = DATA / "online_retail" / "online_retail.csv.gz"
        manage(ENV, "import_orders", str(log), "--no-progress", capture=True)
    # The last line: Django's shell may print its automatic imports first.
    return json.loads(manage(ENV, "shell", "-c", SETUP, capture=True).stdout.strip().splitlines()[-1])


def post_script(folder: Path, name: str, key: str, body: dict) -> Path:
    path = folder / f"{name}.lua"
    path.write_text(POST_SCRIPT.replace("{key}", key).replace("{body}", json.dumps(body)))
    return path


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    setup = prepare()
    key, basket = setup["key"], setup["basket"]
    with tempfile.TemporaryDirectory() as folder, gunicorn(ENV, port=PORT) as base:
        scripts = {
            "quote": post_script(Path(folder), "quote", key, basket),
            "redeem": post_script(Path(folder), "redeem", key, {**basket, "order_reference": "__ORDER__"}),
        }
        targets = {
            "peer_constant_json": (f"{base}/bench/constant", None),
            "quote": (f"{base}/api/v1/pricing/quote", scripts["quote"]),
            "redeem": (f"{base}/api/v1/pricing/redeem", scripts["redeem"]),
        }
        request = urllib.request.Request(
            f"{base}/api/v1/pricing/quote",
            data=json.dumps(basket).encode(),
            headers={"Content-Type": "application/json", "X-Api-Key": key},
        )
        quote = json.loads(urllib.request.urlopen(request, timeout=10).read())
        for _ in range(20):  # warm the workers
            urllib.request.urlopen(f"{base}/bench/constant", timeout=5).read()
        results = medians_over_rounds(targets)
    print(
        json.dumps(
            {
                "benchmark": "pricing",
                "server": SERVER,
                "load": LOAD,
                "peer": PEER,
                "basket": {
                    "lines": len(basket["lines"]),
                    "live_promotions": 12,
                    "applied": [p["name"] for p in quote["promotions"]],
                    "total": quote["total"],
                },
                "results": results,
                "throughput_ratio_to_peer": ratios_to_peer(results),
            }
        )
    )


if __name__ == "__main__":
    main()
