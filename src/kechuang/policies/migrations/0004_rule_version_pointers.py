"""Policy versions move into rules.RuleVersion, step 1 of 3 (schema): next to each pointer at a PolicyVersion a
pointer at a RuleVersion, and a simulation's own policy; the old pointers may be empty meanwhile. (Three
migrations: PostgreSQL refuses to alter a table whose rows the same transaction has just updated.)"""

import django.db.models.deletion
from django.db import migrations, models


def _rule_version(on_delete):
    return models.ForeignKey(blank=True, null=True, on_delete=on_delete, related_name="+", to="rules.ruleversion")


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0003_batch_submit_token"),
        ("rules", "0003_rule_version_origin"),
    ]

    operations = [
        # the old pointers may be empty while the rows move (and when moving back)
        migrations.AlterField(
            model_name="eligibilityrun",
            name="version",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="runs", to="policies.policyversion"
            ),
        ),
        migrations.AlterField(
            model_name="entitlement",
            name="version",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entitlements",
                to="policies.policyversion",
            ),
        ),
        migrations.AlterField(
            model_name="simulationrun",
            name="version",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="simulations",
                to="policies.policyversion",
            ),
        ),
        migrations.AddField(
            model_name="eligibilityrun",
            name="rule_version",
            field=_rule_version(django.db.models.deletion.PROTECT),
        ),
        migrations.AddField(
            model_name="entitlement",
            name="rule_version",
            field=_rule_version(django.db.models.deletion.PROTECT),
        ),
        migrations.AddField(
            model_name="simulationrun",
            name="rule_version",
            field=_rule_version(django.db.models.deletion.CASCADE),
        ),
        migrations.AddField(
            model_name="simulationrun",
            name="rule_compare_to",
            field=_rule_version(django.db.models.deletion.CASCADE),
        ),
        migrations.AddField(
            model_name="simulationrun",
            name="policy",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="simulations",
                to="policies.policy",
            ),
        ),
    ]
