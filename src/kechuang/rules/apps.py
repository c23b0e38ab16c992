from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "kechuang.rules"
    label = "rules"
    verbose_name = "规则"
