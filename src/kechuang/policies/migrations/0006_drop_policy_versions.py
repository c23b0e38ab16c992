"""Policy versions move into rules.RuleVersion, step 3 of 3 (schema): the old pointers and the policies' own table
of versions go; the new pointers take their names and may no longer be empty."""

import django.db.models.deletion
from django.db import migrations, models


def _rule_version(on_delete):
    return models.ForeignKey(on_delete=on_delete, related_name="+", to="rules.ruleversion")


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0005_versions_in_the_rule_store"),
    ]

    operations = [
        migrations.RemoveField(model_name="eligibilityrun", name="version"),
        migrations.RemoveField(model_name="entitlement", name="version"),
        migrations.RemoveField(model_name="simulationrun", name="version"),
        migrations.RemoveField(model_name="simulationrun", name="compare_to"),
        migrations.RenameField(model_name="eligibilityrun", old_name="rule_version", new_name="version"),
        migrations.RenameField(model_name="entitlement", old_name="rule_version", new_name="version"),
        migrations.RenameField(model_name="simulationrun", old_name="rule_version", new_name="version"),
        migrations.RenameField(model_name="simulationrun", old_name="rule_compare_to", new_name="compare_to"),
        migrations.AlterField(
            model_name="eligibilityrun",
            name="version",
            field=_rule_version(django.db.models.deletion.PROTECT),
        ),
        migrations.AlterField(
            model_name="entitlement",
            name="version",
            field=_rule_version(django.db.models.deletion.PROTECT),
        ),
        migrations.AlterField(
            model_name="simulationrun",
            name="version",
            field=_rule_version(django.db.models.deletion.CASCADE),
        ),
        migrations.AlterField(
            model_name="simulationrun",
            name="policy",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="simulations", to="policies.policy"
            ),
        ),
        migrations.DeleteModel(name="PolicyVersion"),
    ]
