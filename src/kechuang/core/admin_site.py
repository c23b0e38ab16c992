"""The Django admin site, off unless KECHUANG_ADMIN=1; when on, it signs in through the platform's login page
(the one authentication path: throttle, lockout, audit) and every change it saves is audited."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse


class KechuangAdminSite(admin.AdminSite):
    site_header = "科创平台管理后台"
    site_title = "科创平台"

    def admin_view(self, view, cacheable=False):
        wrapped = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            if not settings.ADMIN_ENABLED:
                raise Http404("管理后台未启用")
            return wrapped(request, *args, **kwargs)

        return inner

    def login(self, request, extra_context=None):
        if not settings.ADMIN_ENABLED:
            raise Http404("管理后台未启用")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.GET.get('next') or '/admin/'})}")

    def has_permission(self, request):
        return settings.ADMIN_ENABLED and super().has_permission(request)


class KechuangAdminConfig(AdminConfig):
    default_site = "kechuang.core.admin_site.KechuangAdminSite"
