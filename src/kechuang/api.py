"""The REST API (OpenAPI at /api/openapi.json, docs at /api/docs). Same selectors as the pages."""

from django.http import Http404
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
    description=(
        "企业库与年度数据、企业梯队评价结果、创新积分（企业历年积分与排行榜）、政策库与兑现资格（只读）；"
        "产业链（环节、环节企业、缺链）、载体（月度指标、入驻、排名）与一站式服务单。"
        "使用 `Authorization: Bearer <令牌>`；数据范围与页面相同：看不到的企业或兑现资格返回 404，"
        "无权使用的功能（如排行榜、政策库）返回 403。金额单位：万元。"
    ),
)
api.add_router("/enterprises", "kechuang.enterprises.api.router")
api.add_router("/tiers", "kechuang.tiers.api.router")
api.add_router("/points", "kechuang.points.api.router")
api.add_router("/policies", "kechuang.policies.api.router")
api.add_router("/chains", "kechuang.chains.api.router")
api.add_router("/carriers", "kechuang.carriers.api.router")
api.add_router("/services", "kechuang.onestop.api.router")


@api.exception_handler(Http404)
def not_found(request, exc):
    """A denied or absent object is a 404 with the selector's Chinese message (ninja's default is English)."""
    return api.create_response(request, {"detail": str(exc) or "未找到或无权查看"}, status=404)
