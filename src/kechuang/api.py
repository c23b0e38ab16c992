"""The REST API (OpenAPI at /api/openapi.json, docs at /api/docs). Same selectors as the pages."""

from django.utils import timezone
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from kechuang.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(token)).first()
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


api = NinjaAPI(
    title="科创平台 API", version="1", auth=[TokenAuth(), django_auth], urls_namespace="api",
    description="企业库与年度数据。使用 `Authorization: Bearer <令牌>`；数据范围与页面相同。金额单位：万元。",
)
api.add_router("/enterprises", "kechuang.enterprises.api.router")
