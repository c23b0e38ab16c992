from django.apps import AppConfig


class TiersConfig(AppConfig):
    name = "kechuang.tiers"
    verbose_name = "企业梯队"
