"""Idle session timeout: a session unused for SESSION_IDLE_TIMEOUT seconds is logged out."""

import time

from django.conf import settings
from django.contrib.auth import logout


class IdleTimeoutMiddleware:
    KEY = "last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                request.session["idle_logout"] = True
            else:
                request.session[self.KEY] = now
        return self.get_response(request)
