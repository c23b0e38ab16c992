"""The authentication backend: every call of django.contrib.auth.authenticate (the login page, the admin
site when enabled) goes through `services.authenticate`: throttle, lockout, audit. A session of an account
that is disabled or locked ends at its next request."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from . import services


class LockoutBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        return services.authenticate(request, username, password)

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not user.is_locked
