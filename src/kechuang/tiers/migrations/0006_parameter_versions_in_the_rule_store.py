"""Tier rule sets' bureau-added parameter versions move into the one store of rule versions (rules.RuleVersion,
kind "tiers"), with who, when, source and reason kept; the tier app's own table goes. What each replaced
(`previous`) was not recorded before and stays empty for the moved rows."""

from django.db import migrations


def move_to_rule_store(apps, schema_editor):
    ParameterVersion = apps.get_model("tiers", "ParameterVersion")
    RuleVersion = apps.get_model("rules", "RuleVersion")
    for v in ParameterVersion.objects.order_by("pk"):
        moved = RuleVersion.objects.create(
            kind="tiers",
            rule_id=v.ruleset,
            parameter=v.parameter,
            effective_from=v.effective_from,
            value=v.value,
            status="published",
            source=v.source,
            note=v.note,
            created_by_id=v.created_by_id,
        )
        RuleVersion.objects.filter(pk=moved.pk).update(created_at=v.created_at)  # auto_now_add on create


def move_back(apps, schema_editor):
    ParameterVersion = apps.get_model("tiers", "ParameterVersion")
    RuleVersion = apps.get_model("rules", "RuleVersion")
    for v in RuleVersion.objects.filter(kind="tiers", status="published").exclude(parameter="").order_by("pk"):
        back = ParameterVersion.objects.create(
            ruleset=v.rule_id,
            parameter=v.parameter,
            effective_from=v.effective_from,
            value=v.value,
            source=v.source,
            note=v.note,
            created_by_id=v.created_by_id,
        )
        ParameterVersion.objects.filter(pk=back.pk).update(created_at=v.created_at)
    RuleVersion.objects.filter(kind="tiers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tiers", "0005_tierresult_gap_size"),
        ("rules", "0001_rule_version"),
    ]

    operations = [
        migrations.RunPython(move_to_rule_store, move_back),
        migrations.DeleteModel(name="ParameterVersion"),
    ]
