"""ChangeEvent now belongs to core (core/0001); the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_wide_prices"), ("core", "0001_initial")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="ChangeEvent")],
        )
    ]
