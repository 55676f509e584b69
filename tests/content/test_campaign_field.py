"""The composer's campaign choice (Post.campaign): the brand's campaigns being planned or running."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import CampaignKind, CampaignState
from content import services
from content.models import Post

pytestmark = pytest.mark.django_db
LANGUAGE = "en"
LINK = "https://xianmu.example.com/p/1"


@pytest.fixture
def pillar(demo):
    return services.pillar_create(brand=demo.brand, name="产品资讯", by=demo.people["manager"])


def _campaign(demo, title, state=None):
    now = timezone.now()
    campaign = campaign_services.campaign_create(
        brand=demo.brand, by=demo.people["manager"], title=title, kind=CampaignKind.REPOST_PRIZE,
        lead=demo.people["operator"], accounts=[demo.accounts["鲜牧乳业"]], starts_at=now,
        ends_at=now + timedelta(days=3))
    if state:
        type(campaign).objects.filter(pk=campaign.pk).update(state=state)
        campaign.refresh_from_db()
    return campaign


def _post(client, demo, pillar, **extra):
    return client.post(reverse("content:compose"), {
        "text": f"牧场开放日，转发抽奖 {LINK}", "accounts": [demo.accounts["鲜牧乳业"].pk], "pillar": pillar.pk,
        "is_original": "on", "intent": "save", **extra})


def test_the_composer_offers_open_campaigns_and_stores_the_choice(demo, login, pillar):
    live = _campaign(demo, "开放日")
    closed = _campaign(demo, "去年的活动", state=CampaignState.CLOSED)
    client = login(demo.people["operator"])
    page = client.get(reverse("content:compose") + f"?campaign={live.pk}")
    offered = list(page.context["form"].fields["campaign"].queryset)
    assert offered == [live]
    assert f'<option value="{live.pk}" selected>' in page.content.decode()
    assert _post(client, demo, pillar, campaign=live.pk).status_code == 302
    assert Post.objects.get().campaign == live
    refused = _post(client, demo, pillar, campaign=closed.pk)
    assert refused.status_code == 400 and "campaign" in refused.context["form"].errors
    assert Post.objects.count() == 1


def test_editing_changes_or_clears_the_campaign_and_the_service_keeps_it_when_not_given(demo, login, pillar):
    live = _campaign(demo, "开放日")
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"上新 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]], campaign=live)
    services.post_update(post=post, by=demo.people["operator"], pillar=pillar, text=f"上新啦 {LINK}",
                         accounts=[demo.accounts["鲜牧乳业"]])
    post.refresh_from_db()
    assert post.campaign == live
    client = login(demo.people["operator"])
    response = client.post(reverse("content:post_edit", args=[post.pk]), {
        "text": post.text, "accounts": [demo.accounts["鲜牧乳业"].pk], "pillar": pillar.pk, "is_original": "on",
        "intent": "save", "campaign": ""})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.campaign is None


def test_a_campaign_that_is_over_is_refused_by_the_service(demo, pillar, english):
    over = _campaign(demo, "结束了", state=CampaignState.DRAWN)
    with pytest.raises(ValidationError) as error:
        services.post_create(by=demo.people["operator"], pillar=pillar, text=f"上新 {LINK}",
                             accounts=[demo.accounts["鲜牧乳业"]], campaign=over)
    assert "is over" in str(error.value)
    assert not Post.objects.exists()
