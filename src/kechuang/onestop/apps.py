from django.apps import AppConfig


class OnestopConfig(AppConfig):
    name = "kechuang.onestop"
    verbose_name = "一站式服务与包联"

    def ready(self):
        # Register the routing/deadline and visit rule kinds for the rule pages.
        import kechuang.engine.onestop  # noqa: F401
