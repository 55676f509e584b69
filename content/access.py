"""Who may do what with a post: one function per action, called by the service before it acts and by
the pages to decide which buttons to show, so that nobody is offered a button that then refuses.

Each ``*_require`` raises ``PermissionDenied`` with what to do; ``allowed`` turns one into a yes/no
for a template. They read ``positioning.access`` (cached per request) and cost no query of their own
when the targets come with their accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from positioning.access import Action, account_require
from team.models import User

from .models import PostTarget, TargetState


def allowed(require: Callable[..., None], *args, **kwargs) -> bool:
    try:
        require(*args, **kwargs)
    except PermissionDenied:
        return False
    return True


def post_edit_require(user: User, targets: Iterable[PostTarget]) -> None:
    """Editing, submitting and cancelling a draft take the draft permission on every account."""
    for target in targets:
        account_require(user, target.account, Action.DRAFT)


def post_schedule_require(user: User, targets: Iterable[PostTarget]) -> None:
    """A time on the calendar is a decision to publish: the publish permission on every account
    that gets the time."""
    for target in targets:
        account_require(user, target.account, Action.PUBLISH)


def target_move_require(user: User, target: PostTarget) -> None:
    account_require(user, target.account, Action.PUBLISH)


def target_cancel_require(user: User, target: PostTarget) -> None:
    """Taking a scheduled post off the calendar is a publishing decision; dropping an account from a
    draft is an edit."""
    account_require(user, target.account, Action.PUBLISH if target.state == TargetState.SCHEDULED
                    else Action.DRAFT)


def post_fast_track_require(user: User) -> None:
    if not user.is_org_wide:
        raise PermissionDenied(_("Only a manager can fast-track a post."))
