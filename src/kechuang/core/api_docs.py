"""The API's documentation page (/api/docs): Swagger UI from the npm package `swagger-ui-dist` served as static
files (package.json; never a CDN), started by a script file (no inline script under the CSP)."""

from __future__ import annotations

import json

from django.shortcuts import render
from ninja.openapi.docs import Swagger, _csrf_needed


class LocalSwagger(Swagger):
    template = "core/api_docs.html"

    def render_page(self, request, api, **kwargs):
        # Always the project's template: ninja falls back to a CDN page when "ninja" is not an installed app.
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {"swagger_settings": json.dumps(settings), "api": api, "add_csrf": _csrf_needed(api)}
        return render(request, self.template, context)
