"""One page of a queryset as the API's list shape: count, page, pages and the page's items."""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Paginator

API_PAGE_SIZE = 50


def api_page(qs, number: int, item: Callable) -> dict:
    """`number` out of range gives the last page (as on the pages); `item` turns a row into its dict."""
    paginator = Paginator(qs, API_PAGE_SIZE)
    page = paginator.get_page(number)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "items": [item(row) for row in page],
    }
