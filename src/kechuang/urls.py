from django.contrib import admin
from django.urls import include, path

from kechuang.api import api

handler404 = "kechuang.core.views.not_found"

urlpatterns = [
    path("", include("kechuang.core.urls")),
    path("accounts/", include("kechuang.accounts.urls")),
    path("enterprises/", include("kechuang.enterprises.urls")),
    path("points/", include("kechuang.points.urls")),
    path("policies/", include("kechuang.policies.urls")),
    path("tiers/", include("kechuang.tiers.urls")),
    path("rules/", include("kechuang.rules.urls")),
    path("challenges/", include("kechuang.challenges.urls")),
    path("finance/", include("kechuang.finance.urls")),
    path("chains/", include("kechuang.chains.urls")),
    path("carriers/", include("kechuang.carriers.urls")),
    path("services/", include("kechuang.onestop.urls")),
    path("techtransfer/", include("kechuang.techtransfer.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
