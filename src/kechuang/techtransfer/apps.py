from django.apps import AppConfig


class TechtransferConfig(AppConfig):
    name = "kechuang.techtransfer"
    verbose_name = "技术转移"

    def ready(self):
        # Register the contract-registration rule kind for the rule pages.
        import kechuang.engine.techtransfer.contracts  # noqa: F401
