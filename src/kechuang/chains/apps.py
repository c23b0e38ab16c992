from django.apps import AppConfig


class ChainsConfig(AppConfig):
    name = "kechuang.chains"
    verbose_name = "产业链"

    def ready(self):
        # Register the chains' rule kinds so the rule pages list them.
        import kechuang.engine.chains  # noqa: F401
