"""The diagnosis report's one-click button: a service of the firm's service list becomes a request.

Used by points/_sections.html (`{% service_request_button enterprise service %}`); the logic stays here so the
points app does not know about service requests.
"""

from __future__ import annotations

from django import template

from kechuang.onestop.models import ServiceRequest
from kechuang.onestop.services import may_submit_for

register = template.Library()


def _latest_by_service(context, enterprise) -> dict:
    """The firm's latest request per catalogue service, read once per page (one query whatever the services)."""
    cache = context.render_context.setdefault("onestop_requests", {})
    if enterprise.pk not in cache:
        latest = {}
        for req in ServiceRequest.objects.filter(enterprise=enterprise).exclude(catalogue_service="").order_by("pk"):
            latest[req.catalogue_service] = req
        cache[enterprise.pk] = latest
    return cache[enterprise.pk]


@register.inclusion_tag("onestop/_diagnosis_button.html", takes_context=True)
def service_request_button(context, enterprise, service: dict) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    existing = _latest_by_service(context, enterprise).get(service.get("id"))
    return {
        "enterprise": enterprise,
        "service": service,
        "existing": existing,
        "can": bool(user and may_submit_for(user, enterprise)),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
