"""The change feed's journal moves from the catalogue down to core (issue 14):
the table, its index and its triggers stay as they are; only Django's state
changes hands (catalog/0011 forgets the model)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("catalog", "0010_wide_prices")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ChangeEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("entity", models.CharField(max_length=20)),
                        ("entity_id", models.BigIntegerField()),
                        ("txid", models.BigIntegerField()),
                        ("created_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "catalog_changeevent",
                        "indexes": [
                            models.Index(
                                fields=["entity", "txid", "id"],
                                name="catalog_cha_entity_789059_idx",
                            )
                        ],
                    },
                ),
            ],
        )
    ]
