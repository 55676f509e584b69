"""The correction loop: people's corrections fine-tune the model on a schedule, under a lock, with the gain measured
on corrected texts kept apart and shown on the correction page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse

from sentiment import retraining, tasks
from sentiment.classifier import clear_cache, default_model_dir, get_classifier
from sentiment.models import SentimentCorrection

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "sentiment" / "model"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水", "苏州",
          "无锡", "常州", "南通", "扬州", "镇江", "泰州", "盐城", "淮安", "宿迁", "徐州", "合肥", "芜湖",
          "南京", "上海", "北京", "天津", "重庆", "成都"]


def _opening(city: str, n: int) -> str:
    return f"{city}第{n}家社区门店本周六开张，营业时间早七点到晚九点"


@pytest.fixture(autouse=True)
def _model_dirs(settings, tmp_path):
    settings.SENTIMENT_MODEL_DIR = SHIPPED
    settings.SENTIMENT_TUNED_MODEL_DIR = tmp_path / "tuned"
    settings.SENTIMENT_DATA_DIR = tmp_path / "no-public-data"  # the public held-out sets are scored in bench runs
    cache.delete(retraining.LOCK_KEY)
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def corrections(demo):
    """A brand's own announcements, which the shipped model reads as praise; its people say they are neutral."""
    for i, city in enumerate(CITIES):
        SentimentCorrection.objects.create(brand=demo.brand, text=_opening(city, i + 2), label="neutral",
                                           was="positive")
    return demo


def test_corrections_fine_tune_the_model_and_the_gain_is_measured_on_corrections_kept_apart(corrections, settings):
    unseen = _opening("厦门", 40)
    assert get_classifier().predict([unseen])[0][0] == "positive"  # the shipped model, before

    record = retraining.corrections_retrain()

    held = record["figures"]["corrections_held_out"]
    assert record["held_out"] == held["before"]["n"] > 0 and record["trained_on"] + record["held_out"] == len(CITIES)
    assert held["before"]["accuracy"] < held["after"]["accuracy"] == 1.0
    assert record["seconds"] < 60
    tuned = Path(settings.SENTIMENT_TUNED_MODEL_DIR)
    assert default_model_dir() == tuned
    assert get_classifier().predict([unseen])[0][0] == "neutral"  # the model in use, after
    kept = ["味道很好，很喜欢", "太难喝了，再也不买"]  # what it knew of other texts is kept
    assert [label for label, _ in get_classifier().predict(kept)] == ["positive", "negative"]
    card = (tuned / "MODEL_CARD.md").read_text("utf-8")
    assert "## Fine-tuned on the people's corrections" in card and "| corrections_held_out |" in card
    assert json.loads((tuned / "meta.json").read_text("utf-8"))["fine_tune"]["corrections"] == record["corrections"]

    assert retraining.corrections_retrain() is None  # nothing new since: nothing done
    SentimentCorrection.objects.create(brand=corrections.brand, text=_opening("福州", 50), label="neutral")
    again = retraining.corrections_retrain()  # a new correction: a new run
    assert again["trained_on"] + again["held_out"] == len(CITIES) + 1


def test_two_runs_never_overlap(corrections):
    assert cache.add(retraining.LOCK_KEY, "another run", timeout=60)
    assert retraining.corrections_retrain() is None
    assert not Path(django_settings.SENTIMENT_TUNED_MODEL_DIR).exists()
    cache.delete(retraining.LOCK_KEY)
    assert retraining.corrections_retrain() is not None
    assert cache.get(retraining.LOCK_KEY) is None  # released after the run


def test_too_few_corrections_change_nothing(demo):
    SentimentCorrection.objects.create(brand=demo.brand, text="又涨价了", label="negative")
    assert retraining.corrections_retrain() is None
    assert default_model_dir() == SHIPPED


def test_a_newer_shipped_model_supersedes_the_tuned_one(corrections, settings, tmp_path):
    retraining.corrections_retrain()
    meta = json.loads((Path(settings.SENTIMENT_TUNED_MODEL_DIR) / "meta.json").read_text("utf-8"))
    meta["fine_tune"]["base_trained_at"] = "2000-01-01T00:00:00+00:00"  # tuned from another shipped model
    (Path(settings.SENTIMENT_TUNED_MODEL_DIR) / "meta.json").write_text(json.dumps(meta), "utf-8")
    assert default_model_dir() == SHIPPED


def test_retraining_runs_nightly_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sentiment-retrain"]
    assert entry["task"] == tasks.RETRAIN_TASK == tasks.corrections_retrain.name
    assert entry["schedule"].hour == {django_settings.SENTIMENT_RETRAIN_HOUR}
    assert django_settings.SENTIMENT_RETRAIN_HOUR == 3


def test_the_correction_page_shows_the_gain(corrections, login):
    pr = login(corrections.people["pr"])
    before = pr.get(reverse("sentiment:mentions"), **EN).content.decode()
    assert "The model learns from the corrections every night once there are at least 5." in before
    record = retraining.corrections_retrain()
    page = pr.get(reverse("sentiment:mentions"), **EN).content.decode()
    held = record["figures"]["corrections_held_out"]
    assert f"The model last learnt from {record['trained_on']} corrections on" in page
    assert "Corrected mentions kept apart" in page
    assert f"<td>{held['before']['macro_f1']:.3f}</td><td>{held['after']['macro_f1']:.3f}</td>" in page
