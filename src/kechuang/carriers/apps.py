from django.apps import AppConfig


class CarriersConfig(AppConfig):
    name = "kechuang.carriers"
    verbose_name = "载体"
