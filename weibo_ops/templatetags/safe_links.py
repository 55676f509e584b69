"""``{% load safe_links %}``: ``{{ value|safe_url }}`` is the value when it is an absolute http(s) URL and ""
otherwise. Every link that came from outside (a mention, a profile, an avatar, a published post) goes through
it before it becomes an ``href`` or ``src``: ``{% if m.url|safe_url %}<a href="{{ m.url|safe_url }}">…``."""

from __future__ import annotations

from django import template

from weibo_ops.links import http_url

register = template.Library()


@register.filter(is_safe=False)
def safe_url(value: object) -> str:
    # Not marked safe: autoescaping still turns "&" into "&amp;" and quotes into entities inside the attribute.
    return http_url(value)
