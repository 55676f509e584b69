"""The fans API: the inbox, threads, replies, tickets, fans, tags and rules, with the same rules as
the pages and services, spoken in JSON; replies go to the sandbox over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fans import ingest, replies, services, tickets
from fans.models import Fan, Interaction, Kind, Reply, ReplyState, Source, State, Ticket, TicketState
from fans.scoring import fans_rescore
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client
from team.models import Department
from team.services import api_token_create, person_language_set

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: API writes in transactions

API = "/api/v1/fans"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


CS_UID = "5500000002"  # 鲜牧客服 on the sandbox
_numbers = count(1)


def item(account, *, text="请问什么时候发货？", kind=Kind.COMMENT, fan=None, minutes_ago=None, **extra) -> Interaction:
    n = next(_numbers)
    fan = fan or Fan.objects.create(uid=f"77000{n:05d}", screen_name=f"粉丝{n}", profile_at=timezone.now())
    at = timezone.now() - timedelta(minutes=n if minutes_ago is None else minutes_ago)
    return Interaction.objects.create(
        account=account, kind=kind, source=Source.COMMENTS_TO_ME, object_type="comment", platform_id=str(9000 + n),
        fan=fan, text=text, created_at=at, status_id=str(4000 + n), thread_key=f"s:{4000 + n}",
        first_response_due=at + timedelta(hours=1), **extra)


@pytest.fixture
def cs_account(demo):
    return demo.accounts["鲜牧客服"]


@pytest.fixture
def cs(demo, weibo):
    """鲜牧客服 connected to the sandbox."""
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url="http://testserver")
    return account


def fan_post(weibo, text, kind="comment"):
    return weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": int(CS_UID), "text": text, "kind": kind})


# --- visibility ----------------------------------------------------------------------------------

def test_each_person_lists_only_the_items_of_accounts_they_see(demo, api, cs_account):
    cs_item = item(cs_account)
    brand_item = item(demo.accounts["鲜牧乳业"])
    ids = {name: {i["id"] for i in api(demo.people[name]).get(f"{API}/items/").data["results"]}
           for name in ("reviewer", "agent", "manager")}
    assert ids == {"reviewer": {brand_item.pk}, "agent": {cs_item.pk}, "manager": {cs_item.pk, brand_item.pk}}
    listed = api(demo.people["agent"]).get(f"{API}/items/").data["results"][0]
    assert listed["account_name"] == "鲜牧客服" and listed["fan"]["uid"] == cs_item.fan.uid
    assert listed["sla"] == "ok" and listed["state"] == "open" and listed["loop_open"] is False


def test_an_item_on_an_unseen_account_is_404_and_a_refused_action_403(demo, api, cs_account):
    cs_item = item(cs_account)
    brand_item = item(demo.accounts["鲜牧乳业"])
    reviewer = api(demo.people["reviewer"])
    assert reviewer.get(f"{API}/items/{cs_item.pk}/").status_code == 404
    assert reviewer.post(f"{API}/items/{cs_item.pk}/close/").status_code == 404
    assert reviewer.get(f"{API}/items/{brand_item.pk}/").status_code == 200
    refused = reviewer.post(f"{API}/items/{brand_item.pk}/close/", **EN)
    assert refused.status_code == 403
    assert refused.data["detail"] == ("You do not have the “reply” permission on the account 鲜牧乳业. "
                                      "Ask its owner or a manager for access.")
    brand_item.refresh_from_db()
    assert brand_item.state == State.OPEN
    assert api().get(f"{API}/items/").status_code == 401


def test_a_token_from_the_api_tokens_page_reads_the_inbox(demo, api, cs_account):
    cs_item = item(cs_account)
    _instance, token = api_token_create(user=demo.people["agent"])
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    answer = client.get(f"{API}/items/")
    assert answer.status_code == 200
    assert [i["id"] for i in answer.data["results"]] == [cs_item.pk]


# --- the list: filters, keyset pages, queries ----------------------------------------------------

def test_filters_mirror_the_inbox(demo, api, cs_account):
    agent = demo.people["agent"]
    tag = services.tag_create(brand=demo.brand, name="配送", by=None)
    mine = item(cs_account, text="快递三天没动了", assignee=agent, is_complaint=True, priority=2)
    mine.tags.add(tag)
    question = item(cs_account, text="有没有无糖酸奶", kind=Kind.MENTION)
    closed = item(cs_account, text="谢谢客服", state=State.CLOSED)
    client = api(agent)

    def ids(**query):
        answer = client.get(f"{API}/items/", query)
        assert answer.status_code == 200, answer.data
        return [i["id"] for i in answer.data["results"]]

    assert ids() == [mine.pk, question.pk]
    assert ids(state="all") == [mine.pk, question.pk, closed.pk]
    assert ids(state="closed") == [closed.pk]
    assert ids(assignee="me") == ids(complaint="true") == ids(tag=tag.pk) == ids(priority=2) == [mine.pk]
    assert ids(assignee="none") == ids(kind="mention") == ids(q="无糖") == [question.pk]
    assert ids(assignee=str(agent.pk)) == [mine.pk]
    assert ids(account=demo.accounts["鲜牧乳业"].pk) == []
    bad = client.get(f"{API}/items/", {"kind": "tweet", "page_size": 500, "cursor": "x"})
    assert bad.status_code == 400
    assert set(bad.data) == {"kind", "page_size", "cursor"}


def test_keyset_pages_follow_next_to_the_end(demo, api, cs_account):
    made = [item(cs_account, minutes_ago=m) for m in range(5)]
    client = api(demo.people["agent"])
    answer = client.get(f"{API}/items/", {"page_size": 2})
    seen = []
    while True:
        assert answer.status_code == 200
        seen += [i["id"] for i in answer.data["results"]]
        if answer.data["next"] is None:
            break
        assert answer.data["next"].startswith("http://testserver/api/v1/fans/items/?")
        answer = client.get(answer.data["next"])
    assert seen == [i.pk for i in made]  # newest first, each once


def _list_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(f"{API}/items/", {"page_size": 200})
    assert answer.status_code == 200
    return len(queries), len(answer.data["results"])


def test_the_list_runs_the_same_queries_whatever_the_page_size(demo, api, cs_account):
    department = Department.objects.get(name="物流部")
    tag = services.tag_create(brand=demo.brand, name="投诉", by=None)
    agent = demo.people["agent"]

    def add(n):
        for _ in range(n):
            made = item(cs_account, assignee=agent)
            made.tags.add(tag)
            tickets.ticket_create(item=made, department=department, summary="查物流", by=agent)

    client = api(agent)
    add(3)
    small = _list_queries(client)
    add(27)
    large = _list_queries(client)
    assert (small[1], large[1]) == (3, 30)
    # items with account, fan and assignee; their tags; their tickets (+2: the session and the person signed in)
    assert small[0] == large[0] == 3 + 2


# --- the thread and actions ----------------------------------------------------------------------

def test_the_thread_shows_the_conversation_replies_tickets_and_fan(demo, api, cs_account):
    agent = demo.people["agent"]
    first = item(cs_account, text="牛奶坏了")
    fan = first.fan
    later = Interaction.objects.create(
        account=cs_account, kind=Kind.COMMENT, source=Source.COMMENTS_TO_ME, object_type="comment",
        platform_id="8800", fan=fan, text="还没人理我吗", created_at=timezone.now(), status_id=first.status_id,
        thread_key=first.thread_key)
    elsewhere = item(demo.accounts["鲜牧乳业"], fan=fan, text="鲜牧的奶一直很好")
    reply = replies.reply_create(item=first, text="您好，请私信订单号，我们马上处理", by=agent)
    Reply.objects.filter(pk=reply.pk).update(state=ReplyState.RATE_LIMITED, error="Rate limited until 10:00",
                                             retry_at=timezone.now() + timedelta(minutes=5))
    tickets.ticket_create(item=first, department=Department.objects.get(name="客户服务部"), summary="换货",
                          by=agent)
    answer = api(agent).get(f"{API}/items/{first.pk}/")
    assert answer.status_code == 200
    assert [i["id"] for i in answer.data["conversation"]] == [first.pk, later.pk]
    [got] = answer.data["replies"]
    assert (got["state"], got["error"], got["platform_id"]) == ("rate_limited", "Rate limited until 10:00", "")
    assert got["retry_at"] is not None and got["created_by"]["username"] == "agent"
    [ticket] = answer.data["tickets"]
    assert ticket["department_name"] == "客户服务部" and ticket["updates"][0]["note"] == "换货"
    assert ticket["item"]["fan"]["uid"] == fan.uid
    assert answer.data["history"] == []  # 鲜牧乳业 is not the agent's
    assert answer.data["allowed"] == {"reply": True}
    assert answer.data["is_complaint"] is True
    manager = api(demo.people["manager"]).get(f"{API}/items/{first.pk}/")
    assert [h["id"] for h in manager.data["history"]] == [elsewhere.pk]


def test_assign_tag_close_and_reopen(demo, api, cs_account):
    agent = demo.people["agent"]
    client = api(agent)
    made = item(cs_account)
    tag = services.tag_create(brand=demo.brand, name="配送", by=None)
    assigned = client.post(f"{API}/items/{made.pk}/assign/", {"assignee": agent.pk}, format="json")
    assert assigned.status_code == 200 and assigned.data["assignee"]["username"] == "agent"
    nobody_can = client.post(f"{API}/items/{made.pk}/assign/", {"assignee": demo.people["reviewer"].pk},
                             format="json", **EN)
    assert nobody_can.status_code == 400
    assert nobody_can.data["assignee"][0].startswith("周婷（内容审核） cannot reply on 鲜牧客服")
    back = client.post(f"{API}/items/{made.pk}/assign/", {"assignee": None}, format="json")
    assert back.data["assignee"] is None
    tagged = client.post(f"{API}/items/{made.pk}/tags/", {"add": [tag.pk]}, format="json")
    assert [t["name"] for t in tagged.data["tags"]] == ["配送"]
    untagged = client.post(f"{API}/items/{made.pk}/tags/", {"remove": [tag.pk]}, format="json")
    assert untagged.data["tags"] == []
    assert client.post(f"{API}/items/{made.pk}/tags/", {}, format="json").status_code == 400
    closed = client.post(f"{API}/items/{made.pk}/close/")
    assert closed.status_code == 200 and closed.data["state"] == "closed" and closed.data["closed_at"]
    reopened = client.post(f"{API}/items/{made.pk}/reopen/")
    assert reopened.data["state"] == "open" and reopened.data["closed_at"] is None


def test_bulk_actions_take_visible_items_all_or_nothing(demo, api, cs_account):
    agent = demo.people["agent"]
    client = api(agent)
    ours = [item(cs_account), item(cs_account)]
    theirs = item(demo.accounts["鲜牧乳业"])
    ids = [i.pk for i in ours]
    assigned = client.post(f"{API}/items/bulk/", {"ids": ids, "action": "assign", "assignee": agent.pk},
                           format="json")
    assert assigned.status_code == 200 and assigned.data == {"action": "assign", "changed": 2}
    assert set(Interaction.objects.filter(pk__in=ids).values_list("assignee", flat=True)) == {agent.pk}
    refused = client.post(f"{API}/items/bulk/", {"ids": [*ids, theirs.pk], "action": "close"}, format="json", **EN)
    assert refused.status_code == 400
    assert refused.data["ids"] == [f"No such items: {theirs.pk}."]
    assert not Interaction.objects.filter(state=State.CLOSED).exists()
    closed = client.post(f"{API}/items/bulk/", {"ids": ids, "action": "close"}, format="json")
    assert closed.data == {"action": "close", "changed": 2}
    no_tags = client.post(f"{API}/items/bulk/", {"ids": ids, "action": "tag"}, format="json")
    assert no_tags.status_code == 400 and "tags" in no_tags.data


# --- replies -------------------------------------------------------------------------------------

def test_a_reply_through_the_api_ends_on_the_sandbox(cs, weibo, demo, api):
    ingest.account_poll(account_id=cs.pk)
    comment = fan_post(weibo, "订的鲜奶今天没送到，怎么回事？")["comment"]
    ingest.account_poll(account_id=cs.pk)
    made = Interaction.objects.get(account=cs, platform_id=comment["idstr"])
    client = api(demo.people["agent"])
    text = "您好，非常抱歉！配送员今天下午补送，请留意电话。"
    answer = client.post(f"{API}/items/{made.pk}/reply/", {"text": text}, format="json")
    assert answer.status_code == 201, answer.data
    assert (answer.data["state"], answer.data["method"], answer.data["text"]) == ("queued", "comment_reply", text)
    assert replies.reply_send(reply_id=answer.data["id"]) == ReplyState.SENT
    sent = client.get(f"{API}/replies/{answer.data['id']}/").data
    assert sent["state"] == "sent" and sent["platform_id"] and sent["sent_at"] and sent["error"] == ""
    under = account_client(account=cs).comments(made.status_id, count=200).items
    # Weibo shows a reply to a comment with whom it answers.
    assert [c.text for c in under if c.id == sent["platform_id"]] == [f"回复@{made.fan.screen_name}:{text}"]
    assert client.get(f"{API}/items/{made.pk}/").data["first_response_at"] is not None
    assert [r["id"] for r in client.get(f"{API}/replies/", {"state": "sent"}).data["results"]] == [sent["id"]]


def test_a_reply_too_long_or_with_forbidden_words_is_400_on_text(demo, api, cs_account):
    made = item(cs_account)
    client = api(demo.people["agent"])
    long = client.post(f"{API}/items/{made.pk}/reply/", {"text": "您好" * 80}, format="json", **EN)
    assert long.status_code == 400
    assert long.data["text"] == ["The text is 160 characters as Weibo counts them; the limit is 140. "
                                 "Shorten it by 20."]
    forbidden = client.post(f"{API}/items/{made.pk}/reply/", {"text": "这不可能是我们的问题"}, format="json", **EN)
    assert forbidden.status_code == 400
    assert forbidden.data["text"] == ["The playbook of 鲜牧客服 forbids: 不可能. Say it another way."]
    assert not Reply.objects.exists()
    template = services.template_create(brand=demo.brand, by=None, name="致歉", text="您好，非常抱歉给您带来不便。")
    bare = {"text": template.text, "template": template.pk}
    flagged = client.post(f"{API}/items/{made.pk}/reply/", bare, format="json", **EN)
    assert flagged.status_code == 400
    assert flagged.data["text"][-1] == "Edit it, or confirm that the template alone answers the fan."
    confirmed = client.post(f"{API}/items/{made.pk}/reply/", bare | {"confirm_boilerplate": True}, format="json")
    assert confirmed.status_code == 201 and confirmed.data["is_boilerplate"] is True
    refused = api(demo.people["reviewer"]).post(f"{API}/items/{item(demo.accounts['鲜牧乳业']).pk}/reply/",
                                                {"text": "您好"}, format="json")
    assert refused.status_code == 403


def test_replies_waiting_for_approval_are_approved_or_refused(demo, api, cs_account):
    tag = services.tag_create(brand=demo.brand, name="敏感", by=None, replies_need_approval=True)
    made = item(cs_account)
    made.tags.add(tag)
    agent = api(demo.people["agent"])
    first = agent.post(f"{API}/items/{made.pk}/reply/", {"text": "您好，我们已经记录"}, format="json")
    assert first.status_code == 201 and first.data["state"] == "awaiting_approval"
    assert agent.post(f"{API}/replies/{first.data['id']}/approve/").status_code == 403
    manager = api(demo.people["manager"])
    no_reason = manager.post(f"{API}/replies/{first.data['id']}/refuse/", {}, format="json", **EN)
    assert no_reason.status_code == 400
    assert no_reason.data == {"comment": ["Say why, so that the author can fix the reply."]}
    refused = manager.post(f"{API}/replies/{first.data['id']}/refuse/", {"comment": "语气再诚恳些"}, format="json")
    assert (refused.data["state"], refused.data["error"]) == ("refused", "语气再诚恳些")
    second = agent.post(f"{API}/items/{made.pk}/reply/", {"text": "您好，非常抱歉给您添麻烦了"}, format="json")
    approved = manager.post(f"{API}/replies/{second.data['id']}/approve/")
    assert approved.status_code == 200
    assert (approved.data["state"], approved.data["approved_by"]["username"]) == ("queued", "manager")
    again = manager.post(f"{API}/replies/{second.data['id']}/approve/", **EN)
    assert again.status_code == 400 and "non_field_errors" in again.data
    assert api(demo.people["reviewer"]).get(f"{API}/replies/{second.data['id']}/").status_code == 404


# --- tickets -------------------------------------------------------------------------------------

def test_an_outside_ticketing_system_resolves_a_ticket(demo, api, cs_account):
    made = item(cs_account, text="冷链箱破了，奶是温的")
    agent = api(demo.people["agent"])
    logistics = Department.objects.get(name="物流部")
    opened = agent.post(f"{API}/items/{made.pk}/escalate/", {"department": logistics.pk, "summary": "核查冷链"},
                        format="json")
    assert opened.status_code == 201, opened.data
    assert opened.data["state"] == "open" and opened.data["department_name"] == "物流部"
    twice = agent.post(f"{API}/items/{made.pk}/escalate/", {"department": logistics.pk, "summary": "再来"},
                       format="json")
    assert twice.status_code == 400 and "department" in twice.data
    person_language_set(person=demo.people["logistics"], language="en")  # the token's answers follow it
    _instance, token = api_token_create(user=demo.people["logistics"])
    system = api()
    system.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert [t["id"] for t in system.get(f"{API}/tickets/", {"active": "true"}).data["results"]] == [opened.data["id"]]
    url = f"{API}/tickets/{opened.data['id']}/"
    unresolved = system.patch(url, {"state": "resolved"}, format="json", **EN)
    assert unresolved.status_code == 400
    assert unresolved.data == {"resolution": ["Say how it was resolved: the operator tells the fan this."]}
    resolved = system.patch(url, {"state": "resolved", "resolution": "已补发一箱", "external_id": "WL-2031"},
                            format="json")
    assert resolved.status_code == 200, resolved.data
    assert (resolved.data["state"], resolved.data["resolution"], resolved.data["external_id"]) == (
        "resolved", "已补发一箱", "WL-2031")
    assert resolved.data["updates"][-1]["via"] == "api" and resolved.data["updates"][-1]["by"]["username"] == (
        "logistics")
    cancelled = system.patch(url, {"state": "cancelled"}, format="json", **EN)
    assert cancelled.status_code == 400
    assert cancelled.data == {"state": ["A ticket that is “Resolved” cannot become “Cancelled”."]}
    assert Ticket.objects.get().state == TicketState.RESOLVED
    assert agent.get(f"{API}/items/", {"loop": "open"}).data["results"][0]["loop_open"] is True
    assert api(demo.people["reviewer"]).get(url).status_code == 404


def test_tickets_are_listed_for_their_department_and_the_accounts_people_see(demo, api, cs_account):
    agent = demo.people["agent"]
    to_logistics = tickets.ticket_create(item=item(cs_account), department=Department.objects.get(name="物流部"),
                                         summary="查件", by=agent)
    brand_item = item(demo.accounts["鲜牧乳业"])
    to_service = tickets.ticket_create(item=brand_item, department=Department.objects.get(name="客户服务部"),
                                       summary="换货", by=demo.people["manager"])

    def ids(name):
        return {t["id"] for t in api(demo.people[name]).get(f"{API}/tickets/").data["results"]}

    assert ids("logistics") == {to_logistics.pk}
    assert ids("agent") == {to_logistics.pk, to_service.pk}  # 客户服务部's, and 鲜牧客服's
    assert ids("reviewer") == {to_service.pk}  # sees 鲜牧乳业
    assert ids("manager") == {to_logistics.pk, to_service.pk}
    refused = api(demo.people["reviewer"]).patch(f"{API}/tickets/{to_service.pk}/", {"note": "看看"}, format="json")
    assert refused.status_code == 403


# --- fans ----------------------------------------------------------------------------------------

def test_fan_lists_and_a_fan_with_scores_reasons_notes_and_tags(demo, api, cs_account):
    zombie = Fan.objects.create(uid="7711111111", screen_name="用户58213377", profile_at=timezone.now()
                                - timedelta(hours=2), friends_count=2000, followers_count=3,
                                registered_at=timezone.now() - timedelta(days=3))
    star = Fan.objects.create(uid="7722222222", screen_name="奶茶博主", profile_at=timezone.now(),
                              avatar_url="https://x/a.jpg", followers_count=500_000, statuses_count=900,
                              verified=True, verified_reason="美食博主")
    item(cs_account, fan=zombie)
    item(cs_account, fan=star)
    hidden = item(demo.accounts["鲜牧乳业"]).fan
    fans_rescore(fan_ids=[zombie.pk, star.pk, hidden.pk])
    client = api(demo.people["agent"])

    def uids(which):
        return [f["uid"] for f in client.get(f"{API}/fans/", {"list": which}).data["results"]]

    assert uids("zombies") == [zombie.uid] and uids("node") == [star.uid]
    assert set(uids("all")) == {zombie.uid, star.uid}
    assert client.get(f"{API}/fans/{hidden.pk}/").status_code == 404
    detail = client.get(f"{API}/fans/{zombie.pk}/", **EN).data
    assert detail["zombie"] >= 0.6 and "no avatar" in detail["score_reasons"]["zombie"]
    assert "follows 2000, followed by 3" in detail["score_reasons"]["zombie"]
    assert 7100 <= detail["profile_age_seconds"] <= 7300
    assert len(detail["history"]) == 1
    note = client.post(f"{API}/fans/{zombie.pk}/notes/", {"text": "疑似刷量账号"}, format="json")
    assert note.status_code == 201 and note.data["created_by"]["username"] == "agent"
    empty = client.post(f"{API}/fans/{zombie.pk}/notes/", {"text": "   "}, format="json")
    assert empty.status_code == 400 and "text" in empty.data
    tag = services.tag_create(brand=demo.brand, name="待审核", by=None)
    tagged = client.put(f"{API}/fans/{zombie.pk}/tags/", {"tags": [tag.pk]}, format="json")
    assert tagged.status_code == 200
    assert [t["name"] for t in tagged.data["tags"]] == ["待审核"] and tagged.data["notes"][0]["text"] == "疑似刷量账号"
    assert client.put(f"{API}/fans/{zombie.pk}/tags/", {"tags": [999999]}, format="json").status_code == 400
    assert client.get(f"{API}/fans/", {"list": "bots"}).status_code == 400


# --- configuration -------------------------------------------------------------------------------

def test_tags_are_written_by_managers_rules_and_templates_are_read(demo, api):
    manager = api(demo.people["manager"])
    created = manager.post(f"{API}/tags/", {"brand": demo.brand.pk, "name": "表扬", "colour": "#22aa44"},
                           format="json")
    assert created.status_code == 201, created.data
    changed = manager.patch(f"{API}/tags/{created.data['id']}/", {"replies_need_approval": True}, format="json")
    assert changed.status_code == 200 and changed.data["replies_need_approval"] is True
    bad = manager.patch(f"{API}/tags/{created.data['id']}/", {"colour": "green"}, format="json", **EN)
    assert bad.status_code == 400 and bad.data["colour"] == ["Give a colour as #RRGGBB."]
    duplicate = manager.post(f"{API}/tags/", {"brand": demo.brand.pk, "name": "表扬"}, format="json")
    assert duplicate.status_code == 400
    operator = api(demo.people["operator"])
    refused = operator.post(f"{API}/tags/", {"brand": demo.brand.pk, "name": "x"}, format="json", **EN)
    assert refused.status_code == 403
    assert refused.data["detail"] == "Only managers and administrators change this."
    assert [t["name"] for t in operator.get(f"{API}/tags/").data["results"]] == ["表扬"]
    services.rule_create(brand=demo.brand, by=None, name="投诉给客服", keywords=["投诉"],
                         assign_department=Department.objects.get(name="客户服务部"), mark_complaint=True)
    services.template_create(brand=demo.brand, by=None, name="致歉", text="您好，非常抱歉……")
    rules = operator.get(f"{API}/rules/").data["results"]
    assert [(r["name"], r["keywords"], r["assign_department_name"]) for r in rules] == [
        ("投诉给客服", ["投诉"], "客户服务部")]
    assert operator.post(f"{API}/rules/", {}, format="json").status_code == 405
    assert [t["name"] for t in operator.get(f"{API}/templates/").data["results"]] == ["致歉"]
    assert api(demo.people["logistics"]).get(f"{API}/templates/").data["results"] == []


# --- schema --------------------------------------------------------------------------------------

def test_every_endpoint_is_in_the_schema(api, demo):
    paths = api(demo.people["manager"]).get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for path in ("items/", "items/{id}/", "items/{id}/assign/", "items/{id}/tags/", "items/{id}/close/",
                 "items/{id}/reopen/", "items/{id}/reply/", "items/{id}/escalate/", "items/bulk/", "replies/",
                 "replies/{id}/", "replies/{id}/approve/", "replies/{id}/refuse/", "tickets/", "tickets/{id}/",
                 "fans/", "fans/{id}/", "fans/{id}/notes/", "fans/{id}/tags/", "tags/", "tags/{id}/", "rules/",
                 "templates/"):
        assert f"/api/v1/fans/{path}" in paths, path
    reply = paths["/api/v1/fans/items/{id}/reply/"]["post"]
    assert reply["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReplyWrite")
    assert reply["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/FanReply")
    assert "patch" in paths["/api/v1/fans/tickets/{id}/"]


def test_the_schema_validates_without_warnings(tmp_path):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_a_tag_that_holds_replies_comes_off_only_by_an_approver_and_changes_are_audited(demo, api, cs_account):
    from positioning.models import AccountMember
    from team.models import AuditEvent

    agent = demo.people["agent"]
    client = api(agent)
    made, other = item(cs_account), item(cs_account)
    media = services.tag_create(brand=demo.brand, name="媒体", by=None, replies_need_approval=True)
    tagged = client.post(f"{API}/items/{made.pk}/tags/", {"add": [media.pk]}, format="json")
    assert [t["name"] for t in tagged.data["tags"]] == ["媒体"]
    refused = client.post(f"{API}/items/{made.pk}/tags/", {"remove": [media.pk]}, format="json", **EN)
    assert refused.status_code == 403
    assert refused.data["detail"] == ("Replies to items tagged “媒体” wait for approval; only someone who may approve "
                                      "replies on 鲜牧客服 removes that tag.")
    bulk = client.post(f"{API}/items/bulk/", {"ids": [made.pk, other.pk], "action": "untag", "tags": [media.pk]},
                       format="json", **EN)
    assert bulk.status_code == 403
    assert list(made.tags.values_list("name", flat=True)) == ["媒体"]
    assert replies.replies_need_approval(made)
    # Someone who may approve replies on the account takes it off.
    AccountMember.objects.filter(account=cs_account, user=agent).update(can_approve=True)
    agent = type(agent).objects.get(pk=agent.pk)  # its permissions read afresh
    untagged = api(agent).post(f"{API}/items/{made.pk}/tags/", {"remove": [media.pk]}, format="json")
    assert untagged.status_code == 200 and untagged.data["tags"] == []
    events = AuditEvent.objects.filter(object_type="fans.interaction").order_by("pk")
    assert [(e.object_id, e.action, e.changes) for e in events] == [
        (str(made.pk), "inbox.tag", {"tags": [[], ["媒体"]]}),
        (str(made.pk), "inbox.untag", {"tags": [["媒体"], []]}),
    ]
