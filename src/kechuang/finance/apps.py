from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "kechuang.finance"
    verbose_name = "科技金融"

    def ready(self):
        # The finance kinds of rule are registered by their engine module; import it so /rules/ lists them.
        from kechuang.engine import finance  # noqa: F401
