"""Fan profiles show follower counts as people read them (issue 15, §2: 656.6万, not 6565860)."""


import pytest
from django.urls import reverse

from fans.models import Fan

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


pytestmark = pytest.mark.django_db


def test_fan_list_and_profile_shorten_large_counts(demo, login):
    fan = Fan.objects.create(uid="1900000001", screen_name="大V", followers_count=6565860, friends_count=321,
                             statuses_count=45678)
    client = login(demo.people["manager"], language="zh-hans")
    detail = client.get(reverse("fans:fan", args=[fan.pk])).content.decode()
    assert '<dd title="6,565,860">656.6万</dd>' in detail and "<dd>4.6万</dd>" in detail and "<dd>321</dd>" in detail
    client = login(demo.people["manager"], language="en")
    listing = client.get(reverse("fans:fans")).content.decode()
    assert '<td title="6,565,860">6.6M</td>' in listing
