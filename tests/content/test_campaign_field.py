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


def test_the_api_takes_the_campaign_like_the_composer(demo, api, pillar):
    live = _campaign(demo, "春季转发抽奖")
    over = _campaign(demo, "去年的活动", state=CampaignState.CLOSED)
    client = api(demo.people["operator"])
    body = {"pillar": pillar.pk, "text": f"春季新品 {LINK}", "accounts": [demo.accounts["鲜牧乳业"].pk]}
    created = client.post("/api/v1/content/posts/", {**body, "campaign": live.pk}, format="json")
    assert created.status_code == 201 and created.json()["campaign"] == live.pk
    post_id = created.json()["id"]
    refused = client.patch(f"/api/v1/content/posts/{post_id}/", {"campaign": over.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["campaign"] == ["“去年的活动” is over: choose a campaign being planned or running."]
    kept = client.patch(f"/api/v1/content/posts/{post_id}/", {"text": f"春季新品上市 {LINK}"}, format="json")
    assert kept.status_code == 200 and kept.json()["campaign"] == live.pk
    cleared = client.patch(f"/api/v1/content/posts/{post_id}/", {"campaign": None}, format="json")
    assert cleared.status_code == 200 and Post.objects.get(pk=post_id).campaign is None
