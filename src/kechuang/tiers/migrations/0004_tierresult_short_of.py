from django.db import migrations, models
from django.db.models import Q


def backfill(apps, schema_editor):
    """Runs stored before `short_of` existed keep the near-miss lists they showed: one failed condition,
    nothing missing (re-evaluating gives the exact lists: either-or groups, unknown conditions)."""
    TierResult = apps.get_model("tiers", "TierResult")
    (
        TierResult.objects.filter(qualified="false", missing="")
        .exclude(Q(failed="") | Q(failed__contains=";"))
        .update(short_of=models.F("failed"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tiers", "0003_void_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="tierresult",
            name="short_of",
            field=models.TextField(blank=True, verbose_name="差一项"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
