from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rules", "0002_region_profile"),
    ]

    operations = [
        migrations.AddField(
            model_name="ruleversion",
            name="origin",
            field=models.CharField(
                choices=[("bureau", "本局调整"), ("shipped", "内置规则文件")],
                default="bureau",
                max_length=16,
                verbose_name="版本来源",
            ),
        ),
    ]
