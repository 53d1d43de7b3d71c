"""Responses get a random public id (issue 15): URLs and the API name a
response by it instead of its sequential integer key, which let a provider
count the responses submitted between two of its own.

Added nullable, filled for the existing rows (a few thousand at most: a
plain UPDATE), then made NOT NULL and unique with its defaults."""

import uuid

import django.contrib.postgres.functions
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenders", "0007_open_data_feed"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenderresponse",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunSQL(
            "UPDATE tenders_tenderresponse SET public_id = gen_random_uuid() "
            "WHERE public_id IS NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="tenderresponse",
            name="public_id",
            field=models.UUIDField(
                db_default=django.contrib.postgres.functions.RandomUUID(),
                default=uuid.uuid4,
                editable=False,
                unique=True,
            ),
        ),
    ]
