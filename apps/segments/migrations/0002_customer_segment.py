from django.db import migrations


class Migration(migrations.Migration):
    """The per-customer row now holds clusters and lifetime value too: it is renamed for what
    it is. The constraint and index names stay, so the rename touches no index."""

    dependencies = [
        ("segments", "0001_initial"),
    ]

    operations = [
        migrations.RenameModel("CustomerRfm", "CustomerSegment"),
    ]
