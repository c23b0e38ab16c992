import logging

from django.apps import AppConfig

log = logging.getLogger(__name__)


class PointsConfig(AppConfig):
    name = "kechuang.points"
    verbose_name = "创新积分"

    def ready(self):
        from kechuang.enterprises.signals import facts_changed

        facts_changed.connect(refresh_alerts_after_import, dispatch_uid="points.refresh_alerts")


def refresh_alerts_after_import(sender, years, actor=None, **kwargs):
    """Monitoring runs after each import: alert rules for every imported year, on the facts just written.

    A failure here must not turn a completed import into an error for the user: it is logged, and the alert
    inbox's "重新监测" button runs the same evaluation again.
    """
    from .services import refresh_alerts

    for year in years:
        try:
            refresh_alerts(year, user=actor if getattr(actor, "is_authenticated", False) else None)
        except Exception:
            log.exception("alert refresh after import failed for %s", year)
