"""Checks on the playbook's structured fields, shared by the model, the forms and the API."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_POSTS_PER_PILLAR = 20  # posts a day; more is a typo, not a plan
MAX_SLOTS = 24  # time slots a day
MAX_FORBIDDEN_WORDS = 500
MAX_WORD_LENGTH = 30  # characters; a forbidden "word" longer than that is a pasted paragraph
MIX_KEYS = {"pillar", "per_day"}
_SLOT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def validate_content_mix(value: Any) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("The content mix must be a list of pillars."))
    seen = set()
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("pillar"), str) or not item["pillar"].strip():
            raise ValidationError(_("Each line of the content mix needs a pillar name."))
        if set(item) != MIX_KEYS:
            raise ValidationError(_("Each line of the content mix has exactly a pillar and its posts a day."))
        per_day = item.get("per_day")
        if not isinstance(per_day, int) or isinstance(per_day, bool) or not 0 < per_day <= MAX_POSTS_PER_PILLAR:
            raise ValidationError(
                _("“%(pillar)s”: posts a day must be a whole number from 1 to %(max)s.")
                % {"pillar": item["pillar"], "max": MAX_POSTS_PER_PILLAR}
            )
        if item["pillar"] in seen:
            raise ValidationError(_("The pillar “%(pillar)s” is listed twice.") % {"pillar": item["pillar"]})
        seen.add(item["pillar"])


def validate_time_slots(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_SLOTS:
        raise ValidationError(_("Give at most %(max)s time slots.") % {"max": MAX_SLOTS})
    for slot in value:
        if not isinstance(slot, str) or not _SLOT.match(slot):
            raise ValidationError(
                _("“%(slot)s” is not a time: write it as HH:MM, e.g. 08:30 or 20:00.") % {"slot": slot}
            )
    if len(set(value)) != len(value):
        raise ValidationError(_("A time slot is listed twice."))


def validate_forbidden_words(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        raise ValidationError(_("Forbidden words must be a list of words."))
    if len(value) > MAX_FORBIDDEN_WORDS:
        raise ValidationError(_("Give at most %(max)s forbidden words.") % {"max": MAX_FORBIDDEN_WORDS})
    long_words = [w for w in value if len(w) > MAX_WORD_LENGTH]
    if long_words:
        raise ValidationError(_("“%(word)s…” is longer than %(max)s characters: list words, not sentences.")
                              % {"word": long_words[0][:10], "max": MAX_WORD_LENGTH})


def parse_content_mix(text: str) -> list[dict]:
    """``产品资讯: 2`` lines (a colon, full-width colon, = or space before the number) into the
    stored form. Raises ValidationError naming the line that cannot be read."""
    mix = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = re.match(r"^(.+?)\s*[:：=\s]\s*(\d+)$", line)
        if not match:
            raise ValidationError(
                _("Line %(n)s “%(line)s”: write a pillar and its posts a day, e.g. “产品资讯: 2”.")
                % {"n": number, "line": line[:40]}
            )
        mix.append({"pillar": match.group(1).strip(), "per_day": int(match.group(2))})
    validate_content_mix(mix)
    return mix


def parse_time_slots(text: str) -> list[str]:
    slots = []
    for part in re.split(r"[\s,，、;；]+", text.strip()):
        slot = part.replace("：", ":")
        if re.match(r"^\d:\d\d$", slot):
            slot = "0" + slot  # 8:30 means 08:30
        if slot:
            slots.append(slot)
    validate_time_slots(slots)
    return sorted(slots)


def parse_words(text: str) -> list[str]:
    words = []
    for part in re.split(r"[\n,，、;；]+", text):
        word = part.strip()
        if word and word not in words:
            words.append(word)
    validate_forbidden_words(words)
    return words
