"""Policy versions move into rules.RuleVersion, step 2 of 3 (data): each `PolicyVersion` becomes a RuleVersion
(kind "policies", whole document, `rule_id` = its policy's code) with the same dates, status, version dict,
source, note, author, time and origin; every eligibility run, entitlement and simulation points at the moved row
of the version it pointed at, and a simulation names its policy itself (it did through its version). What each
replaced (`previous`) was not recorded before and stays empty for the moved rows. Moving back rebuilds the
PolicyVersion rows and pointers and removes the moved ones."""

from django.db import migrations

POINTERS = (("eligibilityrun", "version"), ("entitlement", "version"), ("simulationrun", "version"))


def move_to_rule_store(apps, schema_editor):
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    RuleVersion = apps.get_model("rules", "RuleVersion")
    moved = {}
    for v in PolicyVersion.objects.select_related("policy").order_by("pk"):
        new = RuleVersion.objects.create(
            kind="policies",
            rule_id=v.policy.code,
            parameter="",
            effective_from=v.effective_from,
            effective_to=v.effective_to,
            value=v.data,
            status=v.status,
            origin="shipped" if v.origin == "shipped" else "bureau",
            source=v.source,
            note=v.note,
            created_by_id=v.created_by_id,
        )
        RuleVersion.objects.filter(pk=new.pk).update(created_at=v.created_at)  # auto_now_add on create
        moved[v.pk] = new.pk
    for model, field in (*POINTERS, ("simulationrun", "compare_to")):
        _repoint(apps.get_model("policies", model), field, f"rule_{field}", moved)
    SimulationRun = apps.get_model("policies", "SimulationRun")
    for sim in SimulationRun.objects.select_related("version"):
        SimulationRun.objects.filter(pk=sim.pk).update(policy_id=sim.version.policy_id)


def move_back(apps, schema_editor):
    Policy = apps.get_model("policies", "Policy")
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    RuleVersion = apps.get_model("rules", "RuleVersion")
    policies = dict(Policy.objects.values_list("code", "pk"))
    back = {}
    for v in RuleVersion.objects.filter(kind="policies", parameter="").order_by("pk"):
        old = PolicyVersion.objects.create(
            policy_id=policies[v.rule_id],
            version_id=v.value.get("version_id") or f"{v.rule_id}@{v.effective_from.isoformat()}",
            effective_from=v.effective_from,
            effective_to=v.effective_to,
            status=v.status,
            note=v.note,
            source=v.source,
            data=v.value,
            origin="shipped" if v.origin == "shipped" else "ui",
            created_by_id=v.created_by_id,
        )
        PolicyVersion.objects.filter(pk=old.pk).update(created_at=v.created_at)
        back[v.pk] = old.pk
    for model, field in (*POINTERS, ("simulationrun", "compare_to")):
        Model = apps.get_model("policies", model)
        _repoint(Model, f"rule_{field}", field, back)
        Model.objects.update(**{f"rule_{field}": None})  # the moved rows go: nothing may protect them
    RuleVersion.objects.filter(kind="policies").delete()


def _repoint(Model, old: str, new: str, mapping: dict) -> None:
    for pk, target in Model.objects.exclude(**{f"{old}__isnull": True}).values_list("pk", f"{old}_id"):
        Model.objects.filter(pk=pk).update(**{f"{new}_id": mapping[target]})


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0004_rule_version_pointers"),
    ]

    operations = [migrations.RunPython(move_to_rule_store, move_back)]
