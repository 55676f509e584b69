"""Dates and times that people, links and files give us, kept inside the years the code can compute with.

Python's dates end at 0001-01-01 and 9999-12-31: a day added to a filter's last day, a time zone applied to
a schedule or a row's slot looked up a day later fails with ``OverflowError`` at those edges. A typed or
crafted date far from any real one is refused where it comes in, with one message, by these fields (forms,
API) and by ``date_check`` (files), so nothing deeper has to guard against it.
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

EARLIEST = date(2000, 1, 1)  # before Weibo (2009): a typo, not a real day of ours
LATEST = date(2999, 12, 31)  # far enough for any plan, far from the end of Python's calendar
RANGE_MESSAGE = _("Give a date between %(earliest)s and %(latest)s.")


def date_in_range(value: date | datetime) -> bool:
    """Whether ``value`` (its own calendar day, whatever its time zone) lies within EARLIEST..LATEST."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def range_message() -> str:
    return RANGE_MESSAGE % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}


def date_check(value: date | datetime | None) -> None:
    """A validator: refuses a date or time outside EARLIEST..LATEST with a message that names the range."""
    if value is not None and not date_in_range(value):
        raise ValidationError(range_message(), code="date_range")


class DateField(forms.DateField):
    default_validators = [date_check]


class DateTimeField(forms.DateTimeField):
    default_validators = [date_check]


class ApiDateField(serializers.DateField):
    default_validators = [date_check]


class ApiDateTimeField(serializers.DateTimeField):
    def enforce_timezone(self, value):
        # Before the time zone is applied: at the calendar's edges that step itself overflows.
        if not date_in_range(value):
            raise serializers.ValidationError(range_message(), code="date_range")
        return super().enforce_timezone(value)
