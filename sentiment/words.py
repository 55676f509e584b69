"""Which words are worth a place in a word cloud: not stop words ("的", "我们", "哈哈"), not pieces of links
("https", "t.cn" and the short link's code), not drawn-out interjections ("emmm", "哈哈哈哈", "啊啊啊").

The stop words are the Chinese and English lists of stopwords-iso (the ``stopwordsiso`` package, MIT), a
maintained collection, plus a few words of Weibo's own that it lacks (``WEIBO_STOPWORDS``)."""

from __future__ import annotations

import re
from functools import lru_cache

WEIBO_STOPWORDS = frozenset({
    # Weibo's own furniture: buttons and markers that land in the text of posts and reposts
    "转发微博", "转发", "网页链接", "全文", "展开", "收起", "原图", "微博", "超话",
    # link pieces
    "http", "https", "www", "com", "cn", "t.cn", "html",
    # interjections and fillers the lists lack
    "emm", "emmm", "emmmm", "hhh", "hh", "233", "666", "hhhh", "哈哈", "呵呵", "嘿嘿", "嘻嘻", "啊啊", "嗯嗯",
    "呜呜", "哈哈哈", "真的", "感觉", "觉得", "一下", "现在", "今天", "还是", "就是", "什么", "怎么", "这个",
    "那个", "没有", "可以", "知道", "自己",
})
URL_START = re.compile(r"^(?:https?|www)$", re.IGNORECASE)
URL_RE = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*", re.IGNORECASE)
DRAWN_OUT = re.compile(r"(.)\1{2,}")  # one character three times running: "emmm", "啊啊啊", "666"
REPEATED_UNIT = re.compile(r"^(.{2,})\1+$")  # a piece said twice or more: "哈哈哈哈", "hhhhhh", "呵呵呵呵"
LINK_CODE = re.compile(r"^(?=.*\d)(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9]{5,}$")  # a short link's code, "A6xYz9Q"
CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    import stopwordsiso

    return frozenset(w.lower() for w in stopwordsiso.stopwords(["zh", "en"])) | WEIBO_STOPWORDS


def strip_urls(text: str) -> str:
    """``text`` without its links: a word cloud of "https" and "cn" says nothing."""
    return URL_RE.sub(" ", text)


def without_url_tokens(tokens: list[str]) -> list[str]:
    """Tokens of a segmented text without the pieces of its links (jieba cuts "https://t.cn/A6x" into "https",
    "://", "t", ".", "cn", "/", "A6x"): from "http(s)"/"www" up to the next space or Chinese word."""
    kept, in_link = [], False
    for token in tokens:
        if URL_START.match(token):
            in_link = True
        elif in_link and (not token.strip() or CJK.search(token)):
            in_link = False
        if not in_link:
            kept.append(token)
    return kept


def is_noise(word: str) -> bool:
    """Whether ``word`` says nothing about what people think: a stop word, a link piece, an interjection."""
    text = word.strip()
    if len(text) < 2 or text.isdigit():
        return True
    return bool(text.lower() in stopwords() or DRAWN_OUT.search(text) or REPEATED_UNIT.match(text)
                or LINK_CODE.match(text))
