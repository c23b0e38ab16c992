"""/api/docs works offline (issue 21: 3): Swagger UI from the npm package, served by this site; no CDN, no
inline script the CSP would block."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_api_docs_load_only_local_assets_that_exist(client_for, world):
    response = client_for(world["users"]["bureau_staff"]).get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = [a for a in re.findall(r"""(?:src|href)="([^"]+)\"""", html) if a != "data:,"]  # no favicon
    assert sorted(assets) == [
        "/static/kechuang/api-docs.js",
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
    ]
    assert "cdn" not in html.lower() and "https://" not in html
    for asset in assets:
        path = finders.find(asset.removeprefix("/static/"))
        assert path and open(path, "rb").read(1), asset
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [f' type="application/json" id="swagger-settings" nonce="{nonce}"']
    settings = re.search(r'id="swagger-settings"[^>]*>(.*?)</script>', html, re.S).group(1)
    assert '"url": "/api/openapi.json"' in settings


def test_the_document_has_one_key_per_response_status(client_for, world):
    """Swagger UI parses the document as YAML, which refuses a duplicated key: an operation documenting 401 itself
    must not get a second "401" from the added error answers (ninja keys its own by number)."""
    import json

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    body = client_for(world["users"]["bureau_staff"]).get("/api/openapi.json").content
    document = json.loads(body, object_pairs_hook=no_duplicates)
    put = document["paths"]["/api/enterprises/{uscc}/figures/{year}"]["put"]["responses"]
    assert sorted(put) == ["200", "400", "401", "403", "404", "422"]
