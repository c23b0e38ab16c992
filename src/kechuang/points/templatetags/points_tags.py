"""Template helpers of the points pages."""

from django import template

register = template.Library()


@register.filter
def field(form, name):
    """The bound field `name` of a form with dynamic field names (the scheme editor)."""
    return form[name]
