"""Who may do what with campaigns: one function per action, called by the services before they act and by the
pages and the API to decide what to show, so that nobody is offered a button that then refuses.

- Anyone signed in registers a company activity (that is the point of the intake: marketing, sales, the
  shops); the Weibo team (whoever may draft on one of the brand's accounts) and managers see the intake.
- A campaign is seen by those who may view one of its accounts, its lead, and the people its tasks are for;
  it is run (edited, planned, harvested, drawn) by managers, its lead, and those who manage one of its
  accounts. A department contact sees only the tasks for them or their department (on their desk).
- Prize applications are decided by a manager who did not ask for the prize.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from positioning.access import Action, account_allows, accounts_for
from positioning.models import Brand
from team.models import Role, User

from .models import Activity, Campaign, PrizeApplication, Task


def is_weibo_team(user: User, brand: Brand | None = None) -> bool:
    """People who may draft on one of the brand's accounts (any brand when none is given), and managers."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_org_wide:
        return True
    accounts = accounts_for(user, Action.DRAFT)
    return (accounts.filter(brand=brand) if brand is not None else accounts).exists()


def activity_register_require(user: User) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in to register an activity."))


def activities_for(user: User) -> QuerySet[Activity]:
    """The intake a person sees: all of it for the Weibo team, their own registrations for anyone else."""
    activities = Activity.objects.select_related("brand", "department", "owner", "registered_by")
    if not user.is_authenticated or not user.is_active:
        return activities.none()
    if user.is_org_wide:
        return activities
    brands = accounts_for(user, Action.DRAFT).values("brand_id")
    return activities.filter(Q(brand__in=brands) | Q(registered_by=user) | Q(owner=user))


def activity_decide_require(user: User, activity: Activity) -> None:
    if not is_weibo_team(user, activity.brand):
        raise PermissionDenied(_("Only the Weibo team turns an activity into a campaign or declines it."))


def campaign_create_require(user: User, accounts) -> None:
    """Starting a campaign on accounts takes the draft permission on each of them."""
    if not user.is_authenticated or not user.is_active or user.role == Role.DEPT_CONTACT:
        raise PermissionDenied(_("Only the Weibo team starts campaigns. Register the activity instead: "
                                 "the Weibo team is told at once."))
    for account in accounts:
        if not account_allows(user, account, Action.DRAFT):
            raise PermissionDenied(_("You may not draft on %(account)s, so you cannot run a campaign on it.")
                                   % {"account": account.name})


def campaigns_for(user: User) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.select_related("brand", "lead")
    if not user.is_authenticated or not user.is_active:
        return campaigns.none()
    if user.is_org_wide:
        return campaigns
    return campaigns.filter(
        Q(accounts__in=accounts_for(user).values("pk")) | Q(lead=user) | Q(tasks__owner=user)
        | Q(pk__in=Task.objects.filter(department_id=user.department_id or 0).values("campaign_id"))
    ).distinct()


def campaign_view_require(user: User, campaign: Campaign) -> None:
    if not campaigns_for(user).filter(pk=campaign.pk).exists():
        raise PermissionDenied(_("This campaign is not on an account you may see. Ask its lead or a manager."))


def campaign_manage_allowed(user: User, campaign: Campaign) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_org_wide or campaign.lead_id == user.pk:
        return True
    return any(account_allows(user, account, Action.MANAGE) for account in campaign.accounts.all())


def campaign_manage_require(user: User, campaign: Campaign) -> None:
    if not campaign_manage_allowed(user, campaign):
        raise PermissionDenied(_("Only the campaign's lead, a manager, or whoever manages one of its accounts "
                                 "may change the campaign."))


def task_update_allowed(user: User, task: Task) -> bool:
    """A task's owner, the people of its department, and those who run the campaign update its status."""
    if not user.is_authenticated or not user.is_active:
        return False
    if task.owner_id == user.pk or (user.department_id and user.department_id == task.department_id):
        return True
    return campaign_manage_allowed(user, task.campaign)


def task_update_require(user: User, task: Task) -> None:
    if not task_update_allowed(user, task):
        raise PermissionDenied(_("This task is for %(department)s. Its owner or the campaign's lead updates it.")
                               % {"department": task.department.name})


def prize_decide_require(user: User, prize: PrizeApplication) -> None:
    if not user.is_authenticated or not user.is_active or not user.is_org_wide:
        raise PermissionDenied(_("Only a manager approves prizes."))
    if prize.requested_by_id == user.pk:
        raise PermissionDenied(_("You asked for this prize; another manager decides on it."))
