from django.db import migrations, models


def clamp_negative_stock(apps, schema_editor):
    # The API used to accept negative counts. Every reader already treated them as none
    # left (sellable() and the widget exclude stock <= 0), so they become 0, which the
    # CHECK below allows.
    Product = apps.get_model("catalogue", "Product")
    Product.objects.filter(stock_on_hand__lt=0).update(stock_on_hand=0)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_product_image_url"),
    ]

    operations = [
        migrations.RunPython(clamp_negative_stock, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="product",
            name="stock_on_hand",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
    ]
