"""The one range that dates from people, links and files must fall in (weibo_ops.dates)."""

from datetime import date, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework import serializers

from weibo_ops import dates


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("value", [date(1, 1, 1), date(9999, 12, 31), date(1999, 12, 31), date(3000, 1, 1),
                                   datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12)))])
def test_dates_outside_the_range_are_refused_by_every_field(value):
    with pytest.raises(ValidationError, match=r"Give a date between 2000-01-01 and 2999-12-31\."):
        dates.date_check(value)
    text = value.isoformat()
    field = dates.ApiDateTimeField() if isinstance(value, datetime) else dates.ApiDateField()
    with pytest.raises(serializers.ValidationError, match="between 2000-01-01 and 2999-12-31"):
        field.run_validation(text)
    form_field = dates.DateTimeField() if isinstance(value, datetime) else dates.DateField()
    with pytest.raises(ValidationError):
        form_field.clean(text)


@pytest.mark.parametrize("text", ["0001-01-01T00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_the_api_field_refuses_before_the_time_zone_overflows(text):
    with pytest.raises(serializers.ValidationError, match="between 2000-01-01 and 2999-12-31"):
        dates.ApiDateTimeField().run_validation(text)


def test_dates_inside_the_range_pass():
    assert dates.ApiDateField().run_validation("2999-12-31") == date(2999, 12, 31)
    assert dates.DateField().clean("2000-01-01") == date(2000, 1, 1)
    at = dates.ApiDateTimeField().run_validation("2026-05-01T09:00:00+08:00")
    assert at.isoformat() == "2026-05-01T09:00:00+08:00"
