"""The unread-notice count beside the person's name on every page (one counted query)."""

from . import selectors


def notices(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"unread_notices": selectors.notice_unread_count(user=user)}
