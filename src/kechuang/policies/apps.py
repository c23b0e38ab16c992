from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "kechuang.policies"
    verbose_name = "政策兑现"

    def ready(self) -> None:
        # Registers the kind `policies` on the rule-data layer, so the rule pages list policies.
        import kechuang.engine.policies  # noqa: F401
