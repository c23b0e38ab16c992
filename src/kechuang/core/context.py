"""Template context shared by every page: the navigation the current user may see.

The entries and who sees them come from the one access table (`kechuang.accounts.access.AREAS`), which the
pages and the API check too; add a menu entry there, not here.
"""

from django.urls import reverse

from kechuang.accounts import access


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav": []}
    return {"nav": [(str(label), reverse(url)) for label, url in access.menu(user)]}
