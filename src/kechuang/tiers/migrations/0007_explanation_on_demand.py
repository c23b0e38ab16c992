"""Tier results no longer store an explanation: it is computed on demand (`tiers.services.explain`) from the
firm's facts with the run's as-of date, rule-set versions and parameter versions, which every run keeps. The
column held most of the database (one JSON document per firm per tier) for a value derived from those.

No data migration: the stored explanations are derived values and are dropped with the column. A run
evaluated before this change is explained from today's facts, and says so where that no longer gives its
stored decision."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tiers", "0006_parameter_versions_in_the_rule_store"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="tierresult",
            name="explanation",
        ),
    ]
