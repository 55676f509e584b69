"""KPI targets (issue 17, point 3 and the API of point 7): who sets them, what is refused, the audit log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from team.kpi_targets import kpi_target_create, kpi_target_delete, kpi_target_update
from team.models import AuditEvent, KpiTarget

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: services write in transactions
LANGUAGE = "en"


def _period():
    today = timezone.localdate()
    return today, today + timedelta(days=30)


def test_a_manager_sets_an_audited_target(demo):
    start, end = _period()
    target = kpi_target_create(by=demo.people["manager"], kpi="response_rate", brand=demo.brand,
                               account=demo.accounts["鲜牧华东"], start=start, end=end, value=Decimal("95"))
    assert (target.scope, target.value) == ("account", Decimal("95"))
    event = AuditEvent.objects.get(action="kpi_target.create")
    assert (event.actor, event.account_id, event.changes["value"]) == (
        demo.people["manager"], demo.accounts["鲜牧华东"].pk, [None, "95"])
    kpi_target_update(target=target, by=demo.people["manager"], value=Decimal("90"))
    assert AuditEvent.objects.get(action="kpi_target.update").changes == {"value": ["95", "90"]}
    kpi_target_delete(target=target, by=demo.people["manager"])
    assert not KpiTarget.objects.exists()
    assert AuditEvent.objects.filter(action="kpi_target.delete").count() == 1


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"end": "yesterday"}, "end", "targets are set for periods that are not over yet"),
    ({"kpi": "fan_count"}, "kpi", "“fan_count” is not a KPI of the catalogue"),
    ({"value": Decimal("100.01")}, "value", "Give a value from 0 to 100 (%)."),
    ({"value": Decimal("-1")}, "value", "Give a value from 0 to 100 (%)."),
    ({"kpi": "node_fans_gained", "person": "operator", "account": None}, "kpi",
     "Node fans gained is not measured per person"),
])
def test_bad_targets_are_refused_with_the_reason_and_nothing_is_stored(demo, english, fields, field, message):
    start, end = _period()
    values = {"kpi": "originality_rate", "brand": demo.brand, "account": demo.accounts["鲜牧华东"], "start": start,
              "end": end, "value": Decimal("60")}
    values.update(fields)
    if values["end"] == "yesterday":
        values["start"] = values["end"] = timezone.localdate() - timedelta(days=1)
    if isinstance(values.get("person"), str):
        values["person"] = demo.people[values["person"]]
    with pytest.raises(ValidationError) as refused:
        kpi_target_create(by=demo.people["manager"], **values)
    assert message in " ".join(refused.value.message_dict[field])
    assert not KpiTarget.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="kpi_target").exists()


def test_a_target_of_a_period_that_is_over_stays_as_it_was(demo):
    past = timezone.localdate() - timedelta(days=40)
    target = KpiTarget.objects.create(kpi="originality_rate", brand=demo.brand, start=past,
                                      end=past + timedelta(days=10), value=Decimal("50"))
    with pytest.raises(ValidationError):
        kpi_target_update(target=target, by=demo.people["manager"], value=Decimal("70"))
    with pytest.raises(ValidationError):
        kpi_target_delete(target=target, by=demo.people["manager"])
    target.refresh_from_db()
    assert target.value == Decimal("50")


def test_the_owner_sets_their_account_targets_and_nobody_elses(demo):
    start, end = _period()
    operator = demo.people["operator"]  # owns 鲜牧酸奶; only replies on 鲜牧客服
    kpi_target_create(by=operator, kpi="originality_rate", brand=demo.brand, account=demo.accounts["鲜牧酸奶"],
                      start=start, end=end, value=Decimal("80"))
    for scope in ({"account": demo.accounts["鲜牧客服"]}, {}, {"person": operator}):
        with pytest.raises(PermissionDenied):
            kpi_target_create(by=operator, kpi="originality_rate", brand=demo.brand, start=start, end=end,
                              value=Decimal("80"), **scope)
    with pytest.raises(PermissionDenied):  # the reviewer may approve on 鲜牧酸奶, not manage it
        kpi_target_create(by=demo.people["reviewer"], kpi="originality_rate", brand=demo.brand,
                          account=demo.accounts["鲜牧酸奶"], start=start, end=end, value=Decimal("80"))
    assert KpiTarget.objects.count() == 1


def test_the_api_lists_definitions_and_writes_targets_with_the_pages_permissions(demo, api):
    kpis = api(demo.people["agent"]).get("/api/v1/team/kpis/").json()
    assert len(kpis) == 14
    assert kpis[0] == {
        "code": "originality_rate", "name": "Originality rate", "unit": "percent", "unit_label": "%",
        "direction": "higher", "formula": "Original posts published ÷ all posts published in the period × 100.",
        "rows": kpis[0]["rows"], "scopes": ["brand", "account", "person"]}
    assert api(demo.people["agent"]).get("/api/v1/team/kpis/response_time/").json()["direction"] == "lower"
    start, end = _period()
    body = {"kpi": "originality_rate", "brand": demo.brand.pk, "account": demo.accounts["鲜牧酸奶"].pk,
            "start": start.isoformat(), "end": end.isoformat(), "value": "80"}
    assert api(demo.people["agent"]).post("/api/v1/team/kpi-targets/", body).status_code == 403
    created = api(demo.people["operator"]).post("/api/v1/team/kpi-targets/", body)
    assert created.status_code == 201
    assert created.json()["scope"] == "account"
    closed = dict(body, start="2020-01-01", end="2020-01-31")
    refused = api(demo.people["manager"]).post("/api/v1/team/kpi-targets/", closed)
    assert refused.status_code == 400
    assert list(refused.json()) == ["end"]
    # The agent works on 鲜牧客服 only: the 鲜牧酸奶 target is not theirs to read.
    assert api(demo.people["agent"]).get("/api/v1/team/kpi-targets/").json()["count"] == 0
    assert api(demo.people["reviewer"]).get("/api/v1/team/kpi-targets/").json()["count"] == 1
    target = created.json()["id"]
    assert api(demo.people["reviewer"]).patch(f"/api/v1/team/kpi-targets/{target}/", {"value": "1"}).status_code == 403
    assert api(demo.people["manager"]).delete(f"/api/v1/team/kpi-targets/{target}/").status_code == 204
