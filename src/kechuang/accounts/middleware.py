"""Session rules applied to every request made with the session cookie, pages and API alike.

- Idle timeout: a session unused for SESSION_IDLE_TIMEOUT seconds is logged out (an API call then gets 401).
- A password set by an administrator must be changed before anything else is done.
- The audit admin reaches the audit log and their own password, nothing else.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import services


class IdleTimeoutMiddleware:
    KEY = "last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                services.record_logout(request, idle=True)
                logout(request)
                request.session["idle_logout"] = True
            else:
                request.session[self.KEY] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Until a temporary password is replaced, pages redirect to the password page and the API answers 403."""

    ALLOWED = ("accounts:password", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.must_change_password:
            allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": _("请先修改临时密码")}, status=403)
                return redirect("accounts:password")
        return self.get_response(request)


class AuditAdminMiddleware:
    """The audit admin reads the audit log and changes nothing else (三员分立): every other page and the API
    answer 403, whatever a view would allow."""

    ALLOWED = ("core:home", "core:audit", "accounts:password", "accounts:logout", "accounts:login")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.is_audit_admin:
            allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": _("审计管理员只能查阅操作日志")}, status=403)
                raise PermissionDenied(_("审计管理员只能查阅操作日志"))
        return self.get_response(request)
