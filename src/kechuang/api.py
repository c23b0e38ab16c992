"""The REST API (OpenAPI at /api/openapi.json, docs at /api/docs). Same selectors as the pages."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from kechuang.accounts import services as accounts
from kechuang.core.api_docs import LocalSwagger


class TokenAuth(HttpBearer):
    """Bearer tokens, through the same address throttle and audit as the login page (accounts.services)."""

    def authenticate(self, request, token):
        user = accounts.authenticate_token(request, token)
        if user is not None:
            if user.is_audit_admin:  # as on the pages (AuditAdminMiddleware): the audit log, nothing else
                raise HttpError(403, "审计管理员只能查阅操作日志")
            request.user = user
        return user


# What any operation may answer besides its success (the handlers and ninja's validation produce these).
ERROR_RESPONSES = {
    "400": "请求体无法解析（不是有效的 JSON）",
    "401": "未认证：缺少令牌、令牌无效或过期，或登录已超时",
    "403": "无权使用该功能（角色不允许），或须先修改临时密码",
    "404": "对象不存在或不在数据范围内",
    "422": "请求参数无效（说明见 detail）",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]}},
}


class KechuangAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """The generated document, with the error answers every operation can give and their body."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    if int(status) in responses:  # the handler documents it (ninja keys by number): one key each
                        continue
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        },
                    )
        return schema


api = KechuangAPI(
    title="科创平台 API",
    version="1",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
    docs=LocalSwagger(),
    description=(
        "企业库与年度数据、企业梯队评价结果、创新积分（企业历年积分与排行榜）、政策库与兑现资格（只读）、"
        "揭榜挂帅（榜单、团队、里程碑、资金台账，只读；公开榜单无需令牌）、科技金融、"
        "产业链（环节、环节企业、缺链）、载体（月度指标、入驻、排名）、一站式服务单与技术合同认定登记。"
        "使用 `Authorization: Bearer <令牌>`；数据范围与页面相同：看不到的企业或兑现资格返回 404，"
        "无权使用的功能（如排行榜、政策库）返回 403。金额单位：万元。"
    ),
)
api.add_router("/enterprises", "kechuang.enterprises.api.router")
api.add_router("/tiers", "kechuang.tiers.api.router")
api.add_router("/points", "kechuang.points.api.router")
api.add_router("/policies", "kechuang.policies.api.router")
api.add_router("/challenges", "kechuang.challenges.api.router")
api.add_router("/finance", "kechuang.finance.api.router")
api.add_router("/chains", "kechuang.chains.api.router")
api.add_router("/carriers", "kechuang.carriers.api.router")
api.add_router("/services", "kechuang.onestop.api.router")
api.add_router("/techtransfer", "kechuang.techtransfer.api.router")


# What pydantic's error types mean, for the 422 answer (its own messages are English).
INPUT_ERRORS = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "missing": "必填",
    "string_type": "应为文本",
    "literal_error": "不是可选的值",
    "string_too_long": "太长",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式无效",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
}


def _reason(error: dict) -> str:
    kind, ctx = error.get("type"), error.get("ctx") or {}
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return "不能为负数"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == r"\S":
        return "不能为空"
    reason = INPUT_ERRORS.get(kind, "格式无效").format(**ctx)
    if kind == "literal_error" and ctx.get("expected"):
        reason += f"（可选：{ctx['expected']}）"
    return reason


@api.exception_handler(ValidationError)
def invalid_input(request, exc: ValidationError):
    """ninja's 422 with a Chinese reason per field: 请求参数无效：status 不是可选的值；…"""
    parts = []
    for error in exc.errors:
        where = ".".join(str(p) for p in error.get("loc", ())[1:] if p != "payload") or "请求"
        parts.append(f"{where} {_reason(error)}")
    return api.create_response(request, {"detail": "请求参数无效：" + "；".join(parts)}, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """Handlers raise HttpError with a Chinese reason; ninja raises its own 400 when a body is not JSON."""
    detail = str(exc)
    if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
        detail = ERROR_RESPONSES["400"]
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc):
    """A denied or absent object is a 404 with the selector's Chinese message (ninja's default is English)."""
    return api.create_response(request, {"detail": str(exc) or "未找到或无权查看"}, status=404)
