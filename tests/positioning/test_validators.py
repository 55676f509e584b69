import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from positioning.validators import parse_content_mix, parse_time_slots, parse_words


def test_content_mix_reads_colons_full_width_colons_and_spaces():
    assert parse_content_mix("产品资讯: 2\n品牌故事：1\n\n热点 3") == [
        {"pillar": "产品资讯", "per_day": 2}, {"pillar": "品牌故事", "per_day": 1}, {"pillar": "热点", "per_day": 3}]


@pytest.mark.parametrize(("text", "message"), [
    ("产品资讯", "Line 1"),
    ("产品资讯: 0", "from 1 to 20"),
    ("产品资讯: 21", "from 1 to 20"),
    ("产品资讯: 1\n产品资讯: 2", "listed twice"),
])
def test_content_mix_errors_name_the_problem(text, message):
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        parse_content_mix(text)


def test_time_slots_are_normalised_and_sorted():
    assert parse_time_slots("20:00, 8:30，12：00") == ["08:30", "12:00", "20:00"]
    assert parse_time_slots("") == []


@pytest.mark.parametrize("text", ["25:00", "8.30", "noon", "08:30, 08:30"])
def test_bad_time_slots_are_refused(text):
    with pytest.raises(ValidationError):
        parse_time_slots(text)


def test_words_split_on_commas_and_lines_without_duplicates():
    assert parse_words("最好,第一\n第一、 治疗 ") == ["最好", "第一", "治疗"]
