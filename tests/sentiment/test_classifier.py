"""The sentiment model: the shipped arrays, the numpy run time, both commands and training end to end."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sentiment import classifier as runtime
from sentiment.classifier import LABELS, Classifier, clear_cache, get_classifier, ngrams, normalise

# The model is pure numpy: its tests are the same on every backend and run once (platform_free), all but the
# corrections test, which reads the database.
PURE = pytest.mark.platform_free

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "sentiment" / "model"
DATA = ROOT.parent / "shared" / "data" / "sentiment"
MAX_MODEL_BYTES = 5_000_000


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


@PURE
def test_shipped_model_is_small_plain_arrays_and_loads():
    files = {path.name: path.stat().st_size for path in SHIPPED.iterdir()}
    assert {"meta.json", "vocab.json", "weights.npz", "MODEL_CARD.md"} <= set(files)
    assert sum(files.values()) <= MAX_MODEL_BYTES
    with np.load(SHIPPED / "weights.npz", allow_pickle=False) as arrays:
        assert arrays["coef"].dtype == np.float32
        assert arrays["coef"].shape == (len(json.loads((SHIPPED / "vocab.json").read_text("utf-8"))), 3)
    meta = json.loads((SHIPPED / "meta.json").read_text("utf-8"))
    assert meta["labels"] == list(LABELS)
    assert meta["parity_max_abs_diff"] < 1e-4
    assert get_classifier(SHIPPED) is get_classifier(SHIPPED)  # loaded once per process


@PURE
def test_default_directory_comes_from_settings(settings, tmp_path):
    settings.SENTIMENT_MODEL_DIR = SHIPPED
    assert get_classifier() is get_classifier(SHIPPED)
    settings.SENTIMENT_MODEL_DIR = tmp_path / "nothing-here"
    clear_cache()
    with pytest.raises(runtime.ModelError, match="cannot load"):
        get_classifier()


@PURE
def test_runtime_imports_numpy_and_the_standard_library_only():
    tree = ast.parse(Path(runtime.__file__).read_text("utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "json", "re", "threading", "unicodedata", "collections", "itertools",
                        "operator", "pathlib", "numpy", "django"}
    probe = ("import sys; from sentiment.classifier import Classifier; "
             f"Classifier.load({str(SHIPPED)!r}).proba(['好喝']); "
             "print(sorted(m for m in sys.modules if 'sklearn' in m))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("text", "label"), [
    ("太难喝了，一股馊味，再也不买了", "negative"),
    ("超级好喝，回购第三次了[心]", "positive"),
    ("气死我了，客服态度太差，投诉无门！！", "negative"),
    ("今天真开心，收到了朋友送的礼物，爱你们[爱你]", "positive"),
])
@PURE
def test_obvious_cases(text, label):
    (got, probability), = get_classifier(SHIPPED).predict([text])
    assert got == label
    assert 0.5 < probability <= 1.0


# --- the rule layer: questions and requests are neutral unless they carry a complaint ----------------------------
# Written for these tests, none taken from the demo's texts (weibo_sandbox/corpus.py) or from the training sets.
QUESTIONS = [
    "请问你们家的低脂奶适合老人喝吗？", "周末门店几点开门呀", "能不能开增值税发票", "酸奶可以冷冻保存吗？",
    "想问一下会员积分在哪里查", "有没有无乳糖的牛奶推荐", "快递一般几天能到？", "这款奶粉和金装版有什么区别？",
    "孩子三岁了每天喝多少合适呢", "开封以后能放几天？", "在哪个平台买比较划算", "你们招不招暑期兼职？",
    "糖尿病人可以喝你们的无糖酸奶吗", "月卡可以换成隔天送吗", "搬家了能改配送地址吗", "门店支持支付宝吗？",
]
COMPLAINTS = [
    "都一个星期了怎么还没发货？", "喝完拉肚子了，你们到底管不管？", "牛奶是酸的，为什么没人回复？",
    "客服一直不回，什么时候能退款？", "又涨价了？还让不让人喝了", "奶箱三天没送了，有人管吗？？",
    "买到过期的酸奶，能不能给个说法？", "包装漏了一箱子，这就是你们的品控？",
]


@PURE
def test_plain_question_tells_enquiries_from_complaints():
    # Two questions without a question mark or a question word the rule knows are left to the model (which does
    # not call them negative: see the next test).
    assert [text for text in QUESTIONS if not runtime.plain_question(text)] == ["孩子三岁了每天喝多少合适呢",
                                                                                  "在哪个平台买比较划算"]
    assert [text for text in COMPLAINTS if runtime.plain_question(text)] == []
    assert not runtime.plain_question("今天天气不错")  # no question at all
    assert not runtime.plain_question("请问" + "这款奶" * 30)  # a long text with a question in it is not an enquiry


@PURE
def test_questions_and_requests_are_never_negative_and_complaints_stay_negative():
    model = get_classifier(SHIPPED)
    assert [(t, label) for t, (label, _) in zip(QUESTIONS, model.predict(QUESTIONS), strict=True)
            if label == "negative"] == []
    assert [(t, label) for t, (label, _) in zip(COMPLAINTS, model.predict(COMPLAINTS), strict=True)
            if label != "negative"] == []


@PURE
def test_the_issue_s_praise_and_product_question_are_not_negative():
    model = get_classifier(SHIPPED)
    praise = ["吹爆！鲜牧低脂奶一点都不腥，会一直回购的", "吹爆鲜牧纯牛奶，会一直回购的[心]"]
    questions = ["一岁半宝宝能喝鲜牧纯牛奶吗？急", "急！一岁半宝宝能喝鲜牧低脂奶吗？"]
    assert [label for label, _ in model.predict(praise)] == ["positive", "positive"]
    assert [label for label, _ in model.predict(questions)] == ["neutral", "neutral"]
    assert runtime.plain_praise(praise[0]) and not runtime.plain_praise("吹爆？喝了拉肚子")


@PURE
def test_proba_rows_sum_to_one_in_label_order_and_empty_text_is_neutral():
    model = get_classifier(SHIPPED)
    probs = model.proba(["太难喝了", "", "  http://t.cn/abc //@某人: @别人 ", "超级好喝"])
    assert probs.shape == (4, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert probs[0].argmax() == LABELS.index("negative") and probs[3].argmax() == LABELS.index("positive")
    assert probs[1].tolist() == probs[2].tolist() == [0.0, 1.0, 0.0]
    assert model.proba([]).shape == (0, 3)


@PURE
def test_normalisation():
    assert normalise("ＡＢＣ１２３，{%#话题#%}看 http://t.cn/R2Wx9I3 好//@小明:转发@小红 哈哈哈哈哈哈") == (
        "abc123,#话题#看 好 // 转发@ 哈哈哈")
    # Without a space or colon after it a name's end is unknown: the text stays, only complete names go.
    assert normalise("@网易邮箱破公司赶紧倒闭吧") == "@网易邮箱破公司赶紧倒闭吧"
    assert normalise("//@花狸: @皎若新月 好耶") == "// @ 好耶"
    assert ngrams("好喝吗") == ["好", "喝", "吗", "好喝", "喝吗", "好喝吗"]
    assert ngrams("") == [] and ngrams("好") == ["好"]


@PURE
def test_batch_order_does_not_change_a_text_s_probabilities():
    model = get_classifier(SHIPPED)
    texts = ["太难喝了，一股馊味", "今天下午三点开会", "超级好喝，回购第三次了", "一般般吧"]
    together = model.proba(texts)
    alone = np.vstack([model.proba([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-12)


@PURE
def test_classify_sentiment_keeps_order_and_every_line():
    lines = ["太难喝了，一股馊味，再也不买了", "", "超级好喝，回购第三次了[心]", "   ", "带\r回车的一行"]
    out = StringIO()
    call_command("classify_sentiment", "--model", str(SHIPPED), stdin=StringIO("\n".join(lines) + "\n"), stdout=out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(results) == len(lines)
    assert [r["label"] for r in results[:4]] == ["negative", "neutral", "positive", "neutral"]
    assert results[1] == {"label": "neutral", "score": 1.0}
    assert all(set(r) == {"label", "score"} and r["label"] in LABELS and 0.0 <= r["score"] <= 1.0 for r in results)


@PURE
def test_classify_sentiment_streams_in_batches(monkeypatch):
    from sentiment.management.commands import classify_sentiment

    monkeypatch.setattr(classify_sentiment, "BATCH", 3)
    texts = ["太难喝了，一股馊味，再也不买了" if i % 2 else "超级好喝，回购第三次了[心]" for i in range(10)]
    out = StringIO()
    call_command("classify_sentiment", "--model", str(SHIPPED), stdin=StringIO("\n".join(texts)), stdout=out)
    labels = [json.loads(line)["label"] for line in out.getvalue().splitlines()]
    assert labels == ["negative" if i % 2 else "positive" for i in range(10)]


@PURE
def test_classify_sentiment_names_a_missing_model(tmp_path):
    with pytest.raises(CommandError, match="cannot load the sentiment model"):
        call_command("classify_sentiment", "--model", str(tmp_path), stdin=StringIO("好\n"), stdout=StringIO())


@PURE
def test_accuracy_on_usual_eval_with_the_shipped_model():
    from sentiment.training import figures, load_smp

    assert DATA.is_dir(), f"the validation data must be beside the repository at {DATA}"
    result = figures(get_classifier(SHIPPED), load_smp(DATA / "smp2020_ewect" / "usual_eval_labeled.txt"))
    assert result["n"] == 1830  # 2,000 minus 170 surprise
    assert result["accuracy"] >= 0.80
    assert result["macro_f1"] >= 0.80


# --- training end to end on a tiny set in the real file formats -------------------------------------------

POSITIVE = ["超级好喝，回购了", "味道很好，喜欢", "开心，好喝又便宜", "服务很好，点赞", "真好吃，推荐",
            "喜欢这个口味，好棒"]
NEGATIVE = ["太难喝了，不买了", "味道很差，失望", "生气，客服太差", "难吃，退货", "质量差，再也不买", "失望透了，好差"]
NEUTRAL = ["今天下午开会", "明天去超市", "会议在三楼", "下周一上班", "快递明天到", "地铁二号线"]


def _write_tiny_data(root: Path) -> Path:
    smp = [{"id": i, "content": text, "label": label}
           for i, (text, label) in enumerate([(t, "happy") for t in POSITIVE] + [(t, "angry") for t in NEGATIVE[:3]]
                                             + [(t, "sad") for t in NEGATIVE[3:]] + [(t, "neutral") for t in NEUTRAL]
                                             + [("哇，居然这样", "surprise")])]
    (root / "smp2020_ewect").mkdir(parents=True)
    for name in ("usual_train.json", "virus_train.txt", "usual_eval_labeled.txt", "virus_eval_labeled.txt"):
        (root / "smp2020_ewect" / name).write_text(json.dumps(smp, ensure_ascii=False), "utf-8")
    (root / "weibo2018").mkdir()
    rows = [f"{4231265311393455 + i},{1 if i % 2 else 0},{POSITIVE[i % 6] if i % 2 else NEGATIVE[i % 6]}{{%#话题#%}}"
            for i in range(20)]
    (root / "weibo2018" / "train.txt").write_text("\n".join(rows) + "\n", "utf-8")
    (root / "weibo_senti_100k").mkdir()
    senti = [f"1\t{t}[哈哈]" for t in POSITIVE] + [f"0\t{t}[怒]" for t in NEGATIVE] + ["1\t[哈哈][哈哈]"]
    (root / "weibo_senti_100k" / "dev.tsv").write_text("label\treview\n" + "\n".join(senti) + "\n", "utf-8")
    (root / "online_shopping_9cats").mkdir()
    # Two categories of 10 distinct reviews each, one review repeated (kept once); the file starts with a BOM.
    shop = [f"{cat},{1 if i % 2 else 0},{(POSITIVE if i % 2 else NEGATIVE)[i % 6]}，{cat}第{i}次买"
            for cat in ("水果", "衣服") for i in range(10)]
    (root / "online_shopping_9cats" / "train.csv").write_text(
        "\ufeffcat,label,review\n" + "\n".join([*shop, shop[0]]) + "\n", "utf-8")
    return root


def _train(data: Path, out: Path, *extra: str) -> str:
    stdout = StringIO()
    call_command("train_sentiment", "--data", str(data), "--out", str(out), "--seed", "7", *extra, stdout=stdout)
    return stdout.getvalue()


@PURE
def test_train_sentiment_end_to_end_is_reproducible(tmp_path):
    data = _write_tiny_data(tmp_path / "data")
    printed = _train(data, tmp_path / "one")
    _train(data, tmp_path / "two")
    assert "usual_eval (n=18" in printed and "macro-F1" in printed and "negative" in printed
    meta = json.loads((tmp_path / "one" / "meta.json").read_text("utf-8"))
    assert meta["training_sets"] == {"usual_train": 18, "virus_train": 18, "weibo2018_train": 16,
                                     "weibo_senti_100k": 12, "online_shopping_train": 16}
    # surprise dropped, emoticon-only row dropped; online shopping: 20 distinct reviews, 2 of each category held out
    assert meta["validation"]["weibo2018_held_out"]["n"] == 4
    shop = meta["validation"]["online_shopping_held_out"]
    assert shop["n"] == 4 and shop["decision"] == "positive vs negative"
    assert set(shop["precision"]) == set(shop["recall"]) == set(shop["f1"]) == {"negative", "positive"}
    assert meta["validation"] == json.loads((tmp_path / "two" / "meta.json").read_text("utf-8"))["validation"]
    model = Classifier.load(tmp_path / "one")
    assert [label for label, _ in model.predict(["好喝，喜欢", "难喝，失望", "明天开会"])] == [
        "positive", "negative", "neutral"]
    np.testing.assert_array_equal(np.load(tmp_path / "one" / "weights.npz", allow_pickle=False)["coef"],
                                  np.load(tmp_path / "two" / "weights.npz", allow_pickle=False)["coef"])


@PURE
def test_train_sentiment_errors_are_plain(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        _train(tmp_path / "absent", tmp_path / "out")
    data = _write_tiny_data(tmp_path / "data")
    (data / "weibo_senti_100k" / "dev.tsv").unlink()
    with pytest.raises(CommandError, match=r"missing data file .*dev\.tsv"):
        _train(data, tmp_path / "out")
    (data / "weibo_senti_100k" / "dev.tsv").write_text("2\tbad label\n", "utf-8")
    with pytest.raises(CommandError, match="not label"):
        _train(data, tmp_path / "out")


@pytest.mark.django_db
def test_train_sentiment_with_a_brand_s_corrections(tmp_path):
    from positioning.models import Brand
    from sentiment.models import SentimentCorrection

    brand, other = Brand.objects.create(name="鲜牧"), Brand.objects.create(name="别家")
    # The tiny public set calls these neutral or says nothing; the brand's people say otherwise.
    for text in ["又涨价了", "又涨价了呀", "涨价了"]:
        SentimentCorrection.objects.create(brand=brand, text=text, label="negative")
    SentimentCorrection.objects.create(brand=other, text="明天开会", label="positive")
    data = _write_tiny_data(tmp_path / "data")

    printed = _train(data, tmp_path / "brand", "--corrections", "鲜牧")
    meta = json.loads((tmp_path / "brand" / "meta.json").read_text("utf-8"))
    assert meta["training_sets"]["corrections"] == 3
    assert meta["recipe"]["correction_weight"] == 3.0
    assert "3 corrected labels (鲜牧)" in printed
    (label, _), = Classifier.load(tmp_path / "brand").predict(["又涨价了"])
    assert label == "negative"

    _train(data, tmp_path / "all", "--corrections", "all")
    assert json.loads((tmp_path / "all" / "meta.json").read_text("utf-8"))["training_sets"]["corrections"] == 4
    _train(data, tmp_path / "none")
    assert "corrections" not in json.loads((tmp_path / "none" / "meta.json").read_text("utf-8"))["training_sets"]
    with pytest.raises(CommandError, match="no brand named '无此品牌'"):
        _train(data, tmp_path / "x", "--corrections", "无此品牌")


# --- prior-shift calibration: per-class logit offsets ---------------------------------------------------------

@PURE
def test_offsets_shift_the_scores_and_a_model_without_them_loads_with_zeros(tmp_path):
    shipped = Classifier.load(SHIPPED)
    assert shipped.offset.shape == (3,) and shipped.offset[LABELS.index("neutral")] == 0.0
    with np.load(SHIPPED / "weights.npz", allow_pickle=False) as arrays:
        plain = {name: arrays[name] for name in ("coef", "intercept", "idf")}
    for name in ("meta.json", "vocab.json"):
        (tmp_path / name).write_bytes((SHIPPED / name).read_bytes())
    np.savez_compressed(tmp_path / "weights.npz", **plain)
    old = Classifier.load(tmp_path)
    np.testing.assert_array_equal(old.offset, np.zeros(3))
    texts = ["今天很开心", "太失望了", "明天开会"]
    np.testing.assert_allclose(shipped.decision(texts)[0] - old.decision(texts)[0],
                               np.tile(shipped.offset, (3, 1)), atol=1e-9)


@PURE
def test_fit_offsets_corrects_a_prior_shift():
    from sentiment.training import fit_offsets, macro_f1_with

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 3000)
    scores = rng.normal(size=(3000, 3)) + 2.0 * np.eye(3)[truth]
    scores[:, LABELS.index("positive")] -= 1.5  # the regression under-calls positive
    offset = fit_offsets([(scores, truth)])
    assert offset[LABELS.index("neutral")] == 0.0 and offset[LABELS.index("positive")] > 1.0
    assert macro_f1_with(scores, truth, offset) > macro_f1_with(scores, truth, np.zeros(3)) + 0.05
