import pytest
from django.core.exceptions import ValidationError

from positioning import services
from positioning.models import Account, PlaybookVersion
from team.models import AuditEvent

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: row locks


def test_publishing_a_playbook_adds_a_version_and_keeps_the_old_one(demo):
    account, manager = demo.accounts["鲜牧乳业"], demo.people["manager"]
    v1 = PlaybookVersion.objects.get(account=account, number=1)
    v2 = services.playbook_publish(account=account, by=manager, time_slots=["07:30", "12:00"],
                                   change_note="早高峰提前")
    assert v2.number == 2
    assert v2.time_slots == ["07:30", "12:00"]
    # Fields not given are carried over, approvers included.
    assert v2.content_mix == v1.content_mix
    assert v2.forbidden_words == ["最好", "第一", "治疗", "根治", "国家级"]
    assert {u.username for u in v2.approvers.all()} == {"reviewer", "manager"}
    v1.refresh_from_db()
    assert v1.time_slots == ["08:30", "12:00", "17:30", "20:30"]
    event = AuditEvent.objects.filter(action="playbook.publish", account_id=account.pk).first()
    assert event.actor == manager
    assert event.changes == {"time_slots": [["08:30", "12:00", "17:30", "20:30"], ["07:30", "12:00"]]}


def test_an_invalid_playbook_is_refused_and_nothing_is_stored(demo):
    account = demo.accounts["鲜牧乳业"]
    with pytest.raises(ValidationError) as error:
        services.playbook_publish(account=account, by=demo.people["manager"], time_slots=["25:00"])
    assert "time_slots" in error.value.message_dict
    assert PlaybookVersion.objects.filter(account=account).count() == 1


def test_first_playbook_of_an_account_is_version_one(demo):
    account = demo.accounts["鲜牧酸奶"]
    version = services.playbook_publish(account=account, by=demo.people["operator"],
                                        content_mix=[{"pillar": "新品", "per_day": 2}], approval_required=False)
    assert version.number == 1
    assert version.posts_per_day == 2
    assert version.reply_within_hours == 2


def test_account_update_records_only_what_changed(demo):
    account = demo.accounts["鲜牧华东"]
    services.account_update(account=account, by=demo.people["manager"], ip="10.1.2.3",
                            tone_of_voice="更接地气", region="上海、江苏、浙江")
    event = AuditEvent.objects.get(action="account.update")
    assert event.changes == {"tone_of_voice": ["接地气，提到具体城市与门店。", "更接地气"]}
    assert event.ip == "10.1.2.3"
    assert Account.objects.get(pk=account.pk).tone_of_voice == "更接地气"


def test_account_update_without_change_writes_nothing(demo):
    account = demo.accounts["鲜牧华东"]
    before = AuditEvent.objects.count()
    services.account_update(account=account, by=demo.people["manager"], region=account.region)
    assert AuditEvent.objects.count() == before


def test_account_names_are_unique_within_a_brand(demo):
    with pytest.raises(ValidationError) as error:
        services.account_create(by=demo.people["manager"], brand=demo.brand, name="鲜牧客服", purpose="other")
    assert error.value.message_dict  # the uniqueness error comes back as a validation error
    assert Account.objects.filter(name="鲜牧客服").count() == 1


def test_seed_demo_is_idempotent(demo):
    from django.core.management import call_command

    counts = (Account.objects.count(), PlaybookVersion.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo", quiet=True)
    assert (Account.objects.count(), PlaybookVersion.objects.count(), AuditEvent.objects.count()) == counts
