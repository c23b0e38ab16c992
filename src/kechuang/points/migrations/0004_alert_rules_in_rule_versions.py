"""The bureau's alert-rule versions move into the one store of rule versions (rules.RuleVersion).

Each stored rule set becomes a whole-document version of the rule `monitoring` (kind `alert_rules`) with the same
date, content, source, reason and author; its `params` become dated parameters as the shipped file now writes
them. Nothing is lost: the alerts keep naming `monitoring@<date>`, which is the same key.
"""

from django.db import migrations

VALIDITY = {
    "label": "高企证书有效期",
    "unit": "years",
    "source": "《高新技术企业认定管理办法》（国科发火〔2016〕32号）第九条",
    "verified": "V",
}


def as_document(content: dict, effective_from) -> dict:
    data = {k: v for k, v in content.items() if k != "params"}
    years = (content.get("params") or {}).get("hte_validity_years", 3)
    data["parameters"] = {
        "hte_validity_years": {
            **VALIDITY,
            "versions": [
                {
                    "effective_from": effective_from.isoformat(),
                    "value": years,
                    "verified": "V",
                    "source": VALIDITY["source"],
                    "note": "",
                }
            ],
        }
    }
    data.setdefault("name", "创新积分动态监测预警")
    return data


def forward(apps, schema_editor):
    AlertRuleVersion = apps.get_model("points", "AlertRuleVersion")
    RuleVersion = apps.get_model("rules", "RuleVersion")
    for old in AlertRuleVersion.objects.order_by("effective_from"):
        new = RuleVersion.objects.create(
            kind="alert_rules",
            rule_id=old.content.get("id", "monitoring"),
            parameter="",
            effective_from=old.effective_from,
            value=as_document(old.content, old.effective_from),
            previous=None,
            status="published",
            source=old.source,
            note=old.note,
            created_by_id=old.created_by_id,
        )
        RuleVersion.objects.filter(pk=new.pk).update(created_at=old.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0003_list_fields_as_text"),
        ("rules", "0001_rule_version"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="AlertRuleVersion",
        ),
    ]
