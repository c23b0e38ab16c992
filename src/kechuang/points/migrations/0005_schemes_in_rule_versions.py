"""The bureau's points-scheme versions move into the one store of rule versions (rules.RuleVersion).

Each stored copy becomes a whole-document version of its scheme (kind `points_scheme`) with the same date,
content and author; its 调整说明 (依据或原因) is both the version's source and its reason, and the scheme it was
copied from is kept in the reason. Runs keep naming `id@version`, which is the same key.
"""

from django.db import migrations


def forward(apps, schema_editor):
    SchemeVersion = apps.get_model("points", "SchemeVersion")
    RuleVersion = apps.get_model("rules", "RuleVersion")
    for old in SchemeVersion.objects.order_by("scheme_id", "effective_from"):
        new = RuleVersion.objects.create(
            kind="points_scheme",
            rule_id=old.scheme_id,
            parameter="",
            effective_from=old.effective_from,
            value={**old.data, "source": old.data.get("source") or old.note},
            previous=None,
            status="published",
            source=old.note,
            note=f"复制自 {old.base_key}",
            created_by_id=old.created_by_id,
        )
        RuleVersion.objects.filter(pk=new.pk).update(created_at=old.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0004_alert_rules_in_rule_versions"),
        ("rules", "0001_rule_version"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="SchemeVersion",
        ),
    ]
