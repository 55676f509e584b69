"""Issue 15's "Done when" walk: each role of the demo signs in on a phone-sized English browser and opens
every page of its menu (the duties, the header's own links and each section's sub-navigation), first with
the person's language left at Chinese, then after choosing English with the header's switch. On every page:
no console error, no HTTP error on the page or what it loads, no horizontal overflow at 390 px; no link that
answers the person with a refusal, no button for an action the role is refused; and on Chinese pages no
catalogue sentence left in English, no internal key (``steps_added``, ``incident.open``) in the visible text.

All problems of one role are collected and reported together, so that one run lists everything to fix."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import polib
import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone

from fans.models import Fan, Interaction, Kind, Source
from sentiment import incidents as incident_services
from sentiment.models import Alert, AlertKind, Mention, MentionSource, Sentiment
from team.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390  # px: a phone
ROLES = ["manager", "operator", "reviewer", "agent", "pr", "logistics", "service"]  # the demo's people
# Buttons (forms posting to these views) that the role is refused: it must not be shown them. The issue's
# cases; GET links are checked for every role by following them.
REFUSED_ACTIONS = {
    "reviewer": {"content:target_move", "content:target_cancel"},
    "pr": {"content:post_publish_now"},
}
SAME_SHAPE_PROBES = 2  # links of one shape (/content/posts/<n>/) followed per page: the rest answer alike
NOT_FOLLOWED = ("/logout/", "/admin/", "/static/")

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
URL_OR_EMAIL = re.compile(r"https?:\S*|[\w.+-]+@[\w-]+(\.[\w-]+)+|\b[\w-]+(\.[\w-]+)*\.(com|cn|example)\b\S*")
SNAKE_KEY = re.compile(r"(?<![\w./:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w])")
DOTTED_KEY = re.compile(r"(?<![\w./:-])[a-z][a-z_]*\.[a-z][a-z_]*(?![\w./-])")
FILE_SUFFIXES = {"csv", "json", "png", "jpg", "jpeg", "xlsx", "txt", "html", "pdf", "gif", "zip"}
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,'’-]+[A-Za-z][a-z]+){2,}\b")  # three English words in a row
BARE_WORDS = re.compile(r"[a-z]{3,}(?: +(?:→ +)?[a-z]{3,})*")  # "opened", "blue → orange": values as stored
SEGMENT_BREAK = re.compile(r"[·:：|,，()（）]")
CJK = re.compile(r"[\u3400-\u9fff]")

VISIBLE_TEXT = """() => {
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.trim(), el = node.parentElement;
    if (!text || !el || el.closest('script, style, template, noscript, code, kbd, pre, #lang-switch')) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    texts.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder]')) {
    if (el.checkVisibility()) texts.push(el.getAttribute('placeholder').trim());
  }
  return texts;
}"""
LINKS = """() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"""
MENU = """() => Array.from(document.querySelectorAll(
  'nav.duties a[href], header .user a[href], nav.subnav a[href]'), a => a.href)"""
POST_ACTIONS = """() => Array.from(document.querySelectorAll('form'))
  .filter(f => f.method === 'post' && f.checkVisibility())
  .map(f => new URL(f.getAttribute('action') || location.href, location.href).pathname)"""


def catalogue_sentences() -> tuple[set[str], list[str]]:
    """The catalogue's English source strings that have a Chinese translation: seen as they are on a
    Chinese page, they were left untranslated. Returns the short ones (matched as a whole text) and the
    sentences (three words or more; matched inside a text)."""
    whole, inside = set(), []
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        translated = entry.msgstr or (entry.msgstr_plural or {}).get(0, "")
        for msgid in filter(None, [entry.msgid, entry.msgid_plural]):
            if not translated or msgid == translated or not re.search("[A-Za-z]{2}", msgid):
                continue
            if re.search(r"%\(|%s|%d|\{", msgid):
                continue
            whole.add(msgid.strip())
            if len(msgid.split()) >= 3:
                inside.append(msgid.strip())
    return whole, inside


def text_problems(texts: list[str], whole: set[str], inside: list[str], names: set[str]) -> list[str]:
    found = []
    for text in texts:
        if text in names:  # a login name ("legal") is the person's, not a catalogue word
            continue
        if text in whole:
            found.append(f"untranslated: {text!r}")
            continue
        if any(sentence in text for sentence in inside):
            found.append(f"untranslated sentence in: {text[:120]!r}")
            continue
        plain = URL_OR_EMAIL.sub(" ", text)
        keys = SNAKE_KEY.findall(plain) + [key for key in DOTTED_KEY.findall(plain)
                                           if key.rsplit(".", 1)[1] not in FILE_SUFFIXES]
        if keys:
            found.append(f"internal key {keys} in: {text[:120]!r}")
        elif ENGLISH_RUN.search(plain):
            found.append(f"English words in: {text[:120]!r}")
        elif [part for part in SEGMENT_BREAK.split(plain) if BARE_WORDS.fullmatch(part.strip())
              and part.strip() not in names]:
            found.append(f"bare English word in: {text[:120]!r}")
    return found


class PageText(HTMLParser):
    """The text of a page fetched without the browser (the pages behind the links), as text pieces; what no
    one sees is left out as well as it can be without layout: scripts, code samples, the language switch."""

    SKIP = {"script", "style", "template", "noscript", "code", "kbd", "pre", "title"}

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.skipping = 0
        self.in_switch = False

    def handle_starttag(self, tag, attrs):
        self.skipping += tag in self.SKIP
        self.in_switch = self.in_switch or (tag == "select" and ("id", "lang-switch") in attrs)

    def handle_endtag(self, tag):
        self.skipping -= tag in self.SKIP and self.skipping > 0
        self.in_switch = self.in_switch and tag != "select"

    def handle_data(self, data):
        if not self.skipping and not self.in_switch and data.strip():
            self.texts.append(data.strip())


def shape(url: str) -> str:
    """/content/posts/12/ and /content/posts/13/ are one shape; so are a page's filters (?state=...)."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


def walk_data(demo) -> None:
    """Everything the menus lead to, with something in it: the demo's content, fan and monitoring set-up, and
    what the sandbox would bring in (mentions, an alert, an incident, inbox items)."""
    call_command("seed_demo_content", due_in=3600, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo_fans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo_monitoring", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo_campaigns", stdout=open("/dev/null", "w"))  # noqa: SIM115
    now = timezone.now()
    texts = [("吹爆鲜牧的酸奶，会一直回购的", Sentiment.POSITIVE), ("一岁半宝宝能喝鲜牧的牛奶吗", Sentiment.NEUTRAL),
             ("鲜牧的牛奶喝出了怪味，三天没送了", Sentiment.NEGATIVE)]
    for n, (text, label) in enumerate(texts, start=1):
        Mention.objects.create(
            brand=demo.brand, source=MentionSource.SEARCH, platform_id=str(4_900_000_000 + n), text=text,
            text_key=f"k{n:039d}", author_uid=str(1_000_000 + n), author_name=f"用户{n}", author_followers=1000 * n,
            posted_at=now - timedelta(minutes=10 * n), url=f"https://weibo.com/{n}/{n}", sentiment=label)
    alert = Alert.objects.create(
        brand=demo.brand, kind=AlertKind.SPIKE, title="鲜牧乳业 负面激增", dedupe_key="walk:1", count=30,
        baseline=4.0, bucket_start=now - timedelta(minutes=10),
        evidence={"bucket_minutes": 10, "total": 30, "samples": []})
    incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="配送延迟投诉", alert=alert)
    account = demo.accounts["鲜牧客服"]
    for n, (kind, text) in enumerate([(Kind.MENTION, "@鲜牧客服 三天没送了，怎么回事"),
                                      (Kind.COMMENT, "请问什么时候发货？")], start=1):
        fan = Fan.objects.create(uid=f"77{n:06d}", screen_name=f"粉丝{n}", followers_count=100 * n)
        Interaction.objects.create(
            account=account, kind=kind, source=Source.COMMENTS_TO_ME, object_type="comment",
            platform_id=str(9000 + n), fan=fan, text=text, created_at=now - timedelta(minutes=5 * n),
            first_response_due=now + timedelta(hours=2), thread_key=f"s:{8000 + n}", status_id=str(8000 + n),
            status_text="鲜牧的新品上市啦", status_author=account.name)


class Walk:
    """One role's walk: a signed-in page of its own context, and what went wrong on the way."""

    def __init__(self, role: str, context, origin: str, catalogue: tuple[set[str], list[str]], names: set[str]):
        self.role, self.context, self.origin, self.catalogue, self.names = role, context, origin, catalogue, names
        self.problems: list[str] = []
        self.where = "/login/"
        self.links: dict[tuple[str, str], list[str]] = {}  # (page, shape): links of that shape on the page
        self.page = page = context.new_page()
        page.on("console", lambda msg: msg.type == "error" and self.problem(f"console error: {msg.text[:200]}"))
        page.on("pageerror", lambda exc: self.problem(f"script error: {str(exc)[:200]}"))
        page.on("response", lambda r: r.status >= 400 and self.problem(f"HTTP {r.status} for {self.local(r.url)}"))
        page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "") and self.problem(
            f"request failed: {self.local(r.url)} {r.failure}"))

    def problem(self, what: str) -> None:
        self.problems.append(f"{self.where}: {what}")

    def local(self, url: str) -> str:
        return url.removeprefix(self.origin)

    def menu(self) -> list[str]:
        return [self.local(url) for url in self.page.evaluate(MENU) if url.startswith(self.origin)]

    def refused_actions(self, actions: list[str]) -> list[str]:
        return [action for action in actions if _url_name(action) in REFUSED_ACTIONS.get(self.role, ())]

    def check(self, path: str, language: str) -> bool:
        """Open ``path`` and check it; False if it did not open."""
        self.where = f"{path} [{language}]"
        response = self.page.goto(path)
        if response is None or response.status >= 400:
            return False  # told by the response listener
        lang = self.page.locator("html").get_attribute("lang")
        if lang != language:
            self.problem(f"page in {lang}")
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH + 1:
            self.problem(f"{width} px wide at {WIDTH} px")
        for action in self.refused_actions(self.page.evaluate(POST_ACTIONS)):
            self.problem(f"shows a button for {action}, which {self.role} is refused")
        if language == "zh-hans":
            for found in text_problems(self.page.evaluate(VISIBLE_TEXT), *self.catalogue, self.names):
                self.problem(found)
            for link in (href.split("#")[0] for href in self.page.evaluate(LINKS)):
                if link.startswith(self.origin) and not any(part in link for part in NOT_FOLLOWED):
                    self.links.setdefault((path, shape(link)), []).append(link)
        return True

    def follow_links(self) -> None:
        """Every link shown leads somewhere the person may go (a few of each shape), and the pages behind
        them show no button for a refused action, nor (read in Chinese) English or internal keys."""
        self.where = "(links)"
        followed: set[str] = set()
        shapes = {key[1] for key in self.links}
        for level in (1, 2):  # the menu's links, then what those pages link to that is new (the report...)
            found: dict[tuple[str, str], list[str]] = {}
            for shaped in self.links.values():
                for link in [url for url in dict.fromkeys(shaped) if url not in followed][:SAME_SHAPE_PROBES]:
                    followed.add(link)
                    self.follow(link, found if level == 1 else None)
            self.links = {key: links for key, links in found.items() if key[1] not in shapes}
            shapes |= {key[1] for key in found}

    def follow(self, link: str, found: dict | None) -> None:
        answer = self.context.request.get(link, max_redirects=5)
        if answer.status in (403, 404) or answer.status >= 500:
            self.problem(f"{self.local(link)} answers {answer.status}")
            return
        if "text/html" not in answer.headers.get("content-type", ""):
            return
        html = answer.text()
        reader = PageText()
        reader.feed(html)
        for problem in text_problems(reader.texts, *self.catalogue, self.names):
            self.problem(f"{self.local(link)}: {problem}")
        forms = [form for form in re.findall(r"<form\b[^>]*>", html) if 'method="post"' in form.lower()]
        actions = [m.group(1) for m in (re.search(r'action="([^"]*)"', f) for f in forms) if m]
        for action in self.refused_actions(actions):
            self.problem(f"{self.local(link)} shows a button for {action}, which {self.role} is refused")
        if found is not None:
            for href in re.findall(r'<a\b[^>]*href="(/[^"#]*)', html):
                if not any(part in href for part in NOT_FOLLOWED):
                    found.setdefault((self.local(link), shape(href)), []).append(self.origin + unescape(href))


@pytest.mark.parametrize("role", ROLES)
def test_role_walks_its_menu_in_chinese_and_english(role, demo, browser, live_server, sign_in):
    walk_data(demo)
    context = browser.new_context(locale="en-US", viewport={"width": WIDTH, "height": 844}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    walk = Walk(role, context, live_server.url, catalogue_sentences(),
                names=set(User.objects.values_list("username", flat=True)))
    try:
        # An English browser: the login page is still Chinese (sign_in finds its Chinese labels).
        sign_in(walk.page, role)
        assert walk.page.locator("html").get_attribute("lang") == "zh-hans"
        # The menu: the duties and the header's links, and each section's sub-navigation met on the way.
        paths = list(dict.fromkeys(walk.menu()))
        for path in paths:  # grows
            if walk.check(path, "zh-hans"):
                paths += [more for more in walk.menu() if more not in paths]
        assert len(paths) >= 3, paths
        walk.follow_links()
        # English, chosen once with the header's switch: stored on the person, and every page follows.
        walk.page.goto("/")
        walk.page.get_by_label("语言").select_option("en")
        walk.page.get_by_role("button", name="切换").click()
        walk.page.wait_for_load_state()
        assert User.objects.get(username=role).language == "en"
        for path in paths:
            walk.check(path, "en")
    finally:
        context.close()
    problems = list(dict.fromkeys(walk.problems))
    assert not problems, f"{role}: {len(problems)} problems\n" + "\n".join(problems)


def _url_name(path: str) -> str:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return ""
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
