"""Matching: the planner's estimate of the offers of one category and unit.

Category, status and unit are strongly dependent (a unit belongs to a
category), so multiplying their separate selectivities underestimated a
category/unit's offers ~40-fold at 100k (231 for 10,077): the candidate
query then probed the assessments 10,077 times by offer id (~110 ms, an N3
health tender) instead of reading the ~1,200 qualifying assessments from
their covering index and the offers by id (~35 ms). Extended statistics
(most common combinations, functional dependencies) give it the real
counts (issue 6)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0008_assessment_matching_index"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE STATISTICS offer_matching_stats (mcv, dependencies) ON category, status, unit "
            "FROM catalog_offer; ANALYZE catalog_offer;",
            "DROP STATISTICS IF EXISTS offer_matching_stats;",
        ),
    ]
