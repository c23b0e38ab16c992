from django.apps import AppConfig


class CarriersConfig(AppConfig):
    name = "kechuang.carriers"
    verbose_name = "载体"

    def ready(self):
        # Register the carriers' rule kinds (ranking scheme, KPI checks, Torch conditions) for the rule pages.
        import kechuang.engine.carriers  # noqa: F401
