from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "kechuang.policies"
    verbose_name = "政策兑现"
