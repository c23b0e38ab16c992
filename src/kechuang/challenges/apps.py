from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "kechuang.challenges"
    label = "challenges"
    verbose_name = "揭榜挂帅"

    def ready(self) -> None:
        # Registers the `challenge` rule kind, so the rule pages list and edit its parameters.
        import kechuang.engine.challenges  # noqa: F401
