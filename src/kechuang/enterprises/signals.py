"""Signals the registry sends so other domains can react without the registry importing them."""

from django.dispatch import Signal

# Sent after an import or a confirmed submission changed annual figures: kwargs `years` (sorted list), `actor`.
facts_changed = Signal()
