"""The scorecard's fan and circle figures read only the period's inbox items (bench/team.py): checked on
PostgreSQL's query plans, so this file is not in the embedded pass."""

from __future__ import annotations

import json

import pytest

from fans import selectors as fans_selectors
from reports.kpis import period_bounds
from tests.reports.test_kpis import NOV_END, NOV_START, rows  # noqa: F401  (rows: the fixture)

pytestmark = pytest.mark.django_db


def _interaction_scans(sql: str) -> list[dict]:
    """The plan nodes that read the inbox's items for ``sql``, with sequential scans ruled out (as on a large
    table), so that the conditions each scan applies can be seen on a small one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = on")
    found, todo = [], [(json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]]
    while todo:
        node = todo.pop()
        todo.extend(node.get("Plans", []))
        if node.get("Relation Name") == "fans_interaction":
            found.append(node)
    return found


def test_the_fan_and_circle_figures_read_only_the_periods_interactions(demo, rows):  # noqa: F811 (the fixture)
    """bench/team.py: the brand-wide card counted every fan of a year of items; only the period's are read now."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    since, until = period_bounds(NOV_START, NOV_END)
    ids = [rows.pk, demo.accounts["鲜牧酸奶"].pk]
    with CaptureQueriesContext(connection) as captured:
        fans_selectors.kpi_fan_figures(account_ids=ids, since=since, until=until)
        fans_selectors.kpi_circle_figures(account_ids=ids, since=since, until=until)
    scans = [node for query in captured.captured_queries for node in _interaction_scans(query["sql"])]
    assert scans
    for node in scans:  # bounded by the period's start as well as its end, whichever index the planner picks
        bounds = " ".join(node.get(key, "") for key in ("Index Cond", "Recheck Cond", "Filter"))
        assert "created_at >=" in bounds and "created_at <" in bounds, node
