"""``{{ target|target_status }}`` and ``{{ post|post_status }}``: the one status word of
``content/status.py`` in any template (other apps' pages included)."""

from django import template

from content import status

register = template.Library()


@register.filter
def target_status(target) -> status.Status:
    return status.target_status(target)


@register.filter
def post_status(post) -> status.Status:
    return status.post_status(post)
