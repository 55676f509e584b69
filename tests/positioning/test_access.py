import pytest
from django.core.exceptions import PermissionDenied

from positioning import services
from positioning.access import Action, account_allows, account_require, accounts_for, actions_on
from team.models import Role, User

pytestmark = pytest.mark.django_db


def fresh(user):
    """The per-request grant cache lives on the user object: read a new one after changes."""
    return User.objects.get(pk=user.pk)


def test_operator_may_do_what_the_grant_says_on_granted_accounts_only(demo):
    operator = demo.people["operator"]
    brand_voice, service, yoghurt, region = (demo.accounts[n] for n in ["鲜牧乳业", "鲜牧客服", "鲜牧酸奶", "鲜牧华东"])
    assert actions_on(operator, brand_voice) == {Action.VIEW, Action.DRAFT, Action.PUBLISH, Action.REPLY}
    assert actions_on(operator, service) == {Action.VIEW, Action.REPLY}
    # The operator owns the yoghurt account: everything on it.
    assert actions_on(operator, yoghurt) == set(Action)
    assert actions_on(operator, region) == set()
    assert not account_allows(operator, brand_voice, Action.APPROVE)
    assert not account_allows(operator, brand_voice, Action.MANAGE)


def test_managers_and_admins_act_on_every_account(demo):
    for username in ["manager", "admin"]:
        person = demo.people[username]
        for account in demo.accounts.values():
            assert actions_on(person, account) == set(Action)
        assert accounts_for(person, Action.MANAGE).count() == 4


def test_accounts_for_lists_exactly_the_granted_accounts(demo):
    assert set(accounts_for(demo.people["operator"]).values_list("name", flat=True)) == {
        "鲜牧乳业", "鲜牧客服", "鲜牧酸奶"}
    assert set(accounts_for(demo.people["operator"], Action.PUBLISH).values_list("name", flat=True)) == {
        "鲜牧乳业", "鲜牧酸奶"}
    assert set(accounts_for(demo.people["reviewer"], Action.APPROVE).values_list("name", flat=True)) == {
        "鲜牧乳业", "鲜牧酸奶"}
    assert list(accounts_for(demo.people["logistics"])) == []


def test_account_require_raises_with_a_message_naming_the_account(demo):
    with pytest.raises(PermissionDenied, match="鲜牧华东"):
        account_require(demo.people["operator"], demo.accounts["鲜牧华东"], Action.VIEW)


def test_deactivated_people_may_do_nothing(demo):
    operator = demo.people["operator"]
    operator.is_active = False
    operator.save(update_fields=["is_active"])
    assert actions_on(fresh(operator), demo.accounts["鲜牧乳业"]) == set()
    assert accounts_for(fresh(operator)).count() == 0


def test_changing_a_grant_changes_the_permission(demo):
    operator, region, manager = demo.people["operator"], demo.accounts["鲜牧华东"], demo.people["manager"]
    services.account_member_set(account=region, user=operator, actions={Action.DRAFT}, by=manager)
    assert actions_on(fresh(operator), region) == {Action.VIEW, Action.DRAFT}
    services.account_member_remove(account=region, user=operator, by=manager)
    assert actions_on(fresh(operator), region) == set()


def test_a_manager_role_needs_no_grant(demo):
    agent = demo.people["agent"]
    assert actions_on(agent, demo.accounts["鲜牧华东"]) == set()
    agent.role = Role.MANAGER
    agent.save(update_fields=["role"])
    assert actions_on(fresh(agent), demo.accounts["鲜牧华东"]) == set(Action)
