"""`Challenge.techtransfer_need_id` (a loose integer kept while the techtransfer app was built elsewhere) becomes
the foreign key `Challenge.techtransfer_need` to `techtransfer.Need` (PROTECT).

Steps, data before the constraint: the integer column is renamed out of the way, the new key column is added
empty, each old id that names an existing Need is copied into it, and the old column is dropped. An old id that
points to no Need (typed by hand before the registry existed, or a need since removed) becomes NULL: the
challenge keeps its `need_text`, only the dangling number is lost. Reversing copies the key back to the integer.
"""

import django.db.models.deletion
from django.db import migrations, models


def link_needs(apps, schema_editor):
    Challenge = apps.get_model("challenges", "Challenge")
    Need = apps.get_model("techtransfer", "Need")
    ids = set(Challenge.objects.exclude(legacy_need_id=None).values_list("legacy_need_id", flat=True))
    existing = set(Need.objects.filter(pk__in=ids).values_list("pk", flat=True))
    for need_id in existing:
        Challenge.objects.filter(legacy_need_id=need_id).update(techtransfer_need_id=need_id)


def unlink_needs(apps, schema_editor):
    Challenge = apps.get_model("challenges", "Challenge")
    for pk, need_id in Challenge.objects.exclude(techtransfer_need=None).values_list("pk", "techtransfer_need_id"):
        Challenge.objects.filter(pk=pk).update(legacy_need_id=need_id)


class Migration(migrations.Migration):
    dependencies = [
        ("challenges", "0001_initial"),
        ("techtransfer", "0002_supply_map_and_needs"),
    ]

    operations = [
        migrations.RenameField(model_name="challenge", old_name="techtransfer_need_id", new_name="legacy_need_id"),
        migrations.AddField(
            model_name="challenge",
            name="techtransfer_need",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="challenges",
                to="techtransfer.need",
                verbose_name="技术需求",
            ),
        ),
        migrations.RunPython(link_needs, unlink_needs),
        migrations.RemoveField(model_name="challenge", name="legacy_need_id"),
    ]
