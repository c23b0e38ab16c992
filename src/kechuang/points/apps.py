from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "kechuang.points"
    verbose_name = "创新积分"
