"""Run the local Weibo sandbox with this app's settings, and connect the demo accounts to it.

`make run` starts this beside the web server: the sandbox plays the Weibo platform on
``WEIBO_SANDBOX_PORT``, pushes private messages to this app's receiver with the shared push token,
generates traffic about the demo brand, and keeps its state in ``var/`` across restarts.
``--connect-demo`` then puts every not-yet-connected demo account through the real OAuth2 flow
(authorize → consent → code → access_token → get_token_info), as a person would in the browser.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from positioning.models import Account, ConnectionState, WeiboConnection
from positioning.weibo import weibo_connect_finish, weibo_connect_start, weibo_connection_check

logger = logging.getLogger(__name__)

READY_TIMEOUT = 30  # seconds to wait for the sandbox to answer before giving up on connecting
DEFAULT_TRAFFIC = 4.0  # sandbox events per minute in the demo: enough to see the inbox move
BRAND_UID = 5500000001  # the demo's brand voice account (鲜牧乳业) on the sandbox
# The monitoring demo on a new world: (seconds after the previous one, scenario, its settings). The first waits
# until the app has searched the brand's normal day; the wave then takes about 5 minutes.
DEMO_SCENARIOS = [
    (120, "negative_spike", {"account": BRAND_UID, "size": 90, "speed": 6.0}),
    (60, "bot_attack", {"account": BRAND_UID, "size": 150}),
    (60, "kol_cascade", {"account": BRAND_UID, "size": 120, "speed": 20.0}),
]
# The campaigns demo: once the app has published the demo campaign's post (make run's seed schedules it),
# its entrants are played around it, twelve days back, so that the campaign has a past to report on.
DEMO_CAMPAIGN = ("lottery_hunters", {"account": BRAND_UID, "size": 150, "instant": True, "seed": 16,
                                     "around_text": "【转发抽奖】鲜牧牧场开放日"})
DEMO_CAMPAIGN_TRIES = (30, 20)  # seconds between tries, tries: the post goes out a minute or two after start


def sandbox_register(base_url: str, *, screen_name: str, uid: str = "") -> str:
    """Make sure the sandbox has a Weibo user for a matrix account; returns its uid."""
    body = {"screen_name": screen_name, **({"uid": uid} if uid else {})}
    answer = httpx.post(f"{base_url}/_sandbox/accounts", json=body, timeout=10)
    answer.raise_for_status()
    return str(answer.json()["uid"])


def connect_through_sandbox(account: Account, *, uid: str, app_url: str) -> WeiboConnection:
    """The OAuth2 flow a person goes through, driven by a program: consent as ``uid`` at the sandbox,
    then the same finish (code exchange, token check, binding) as the callback page."""
    redirect_uri = f"{app_url}{reverse('positioning:weibo_callback')}"
    start = weibo_connect_start(account=account, redirect_uri=redirect_uri)
    query = parse_qs(urlparse(start.url).query)
    form = {key: values[0] for key, values in query.items()} | {"uid": uid, "action": "allow"}
    answer = httpx.post(f"{settings.WEIBO_API_URL}/oauth2/authorize", data=form, timeout=10)
    back = parse_qs(urlparse(answer.headers.get("location", "")).query)
    if answer.status_code != 302 or back.get("state", [""])[0] != start.state or "code" not in back:
        raise CommandError(
            f"the sandbox did not authorise {account.name}: HTTP {answer.status_code} {answer.text[:200]}"
        )
    return weibo_connect_finish(account=account, code=back["code"][0], redirect_uri=redirect_uri, by=None)


class Command(BaseCommand):
    help = "Run the local Weibo sandbox with this app's settings (and connect the demo accounts to it)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.WEIBO_SANDBOX_PORT)
        parser.add_argument("--connect-demo", action="store_true",
                            help="connect every active account that is not connected yet, through OAuth")
        parser.add_argument("--app-url", default="http://127.0.0.1:8000",
                            help="where this app listens: the sandbox pushes private messages there")
        parser.add_argument("--traffic-per-minute", type=float, default=DEFAULT_TRAFFIC)
        parser.add_argument("--state-file", type=Path, default=settings.VAR_DIR / "weibo-sandbox.json")
        parser.add_argument("--demo-scenarios", action="store_true",
                            help="on a new sandbox world, play a negative spike, a bot attack and a KOL cascade on "
                                 "the brand account a few minutes in, so that monitoring has something to show")
        parser.add_argument("--data-dir", type=Path, default=settings.WEIBO_SANDBOX_DATA_DIR or None,
                            help="replay real Weibo posts and cascades from this folder (../shared/data)")

    def handle(self, *args, **options):
        if not settings.WEIBO_USES_SANDBOX:
            raise CommandError(f"WEIBO_API_URL is {settings.WEIBO_API_URL}: the sandbox only stands in for Weibo "
                               "locally. Unset WEIBO_API_URL to use it.")
        if options["port"] != settings.WEIBO_SANDBOX_PORT:
            raise CommandError(f"The app calls the sandbox on port {settings.WEIBO_SANDBOX_PORT}: set "
                               "WEIBO_SANDBOX_PORT instead of --port so that both agree.")
        from weibo_sandbox.config import SandboxConfig
        from weibo_sandbox.server import build_server

        app_url = options["app_url"].rstrip("/")
        new_world = not options["state_file"].exists()
        config = SandboxConfig(
            port=options["port"], app_key=settings.WEIBO_APP_KEY, app_secret=settings.WEIBO_APP_SECRET,
            safe_domain=settings.WEIBO_SAFE_DOMAIN, push_url=f"{app_url}{reverse('weibo:push')}",
            state_file=options["state_file"], data_dir=options["data_dir"],
            traffic_per_minute=options["traffic_per_minute"],
        )
        server = build_server(config)
        if options["connect_demo"]:
            threading.Thread(target=self.connect_demo, args=(app_url,), daemon=True, name="connect-demo").start()
        if options["demo_scenarios"] and new_world:
            threading.Thread(target=self.demo_scenarios, daemon=True, name="demo-scenarios").start()
            threading.Thread(target=self.demo_campaign, daemon=True, name="demo-campaign").start()
        server.run()

    def demo_scenarios(self) -> None:
        """The opinion-monitoring demo: once the app has heard the brand's normal day (its first searches), a
        complaint wave about one product, a bot attack reposting one accusation at a machine-even pace, and a
        KOL's repost cascade, on the brand voice account."""
        base = settings.WEIBO_API_URL
        for delay, name, body in DEMO_SCENARIOS:
            time.sleep(delay)
            try:
                httpx.post(f"{base}/_sandbox/scenarios/{name}", json=body, timeout=5).raise_for_status()
            except httpx.HTTPError as exc:
                self.stderr.write(f"The demo scenario {name} did not start: {exc}")
                continue
            self.stdout.write(f"Demo scenario {name} started on the sandbox.")

    def demo_campaign(self) -> None:
        """The campaigns demo: the lottery scenario around the demo campaign's post, once it is out."""
        name, body = DEMO_CAMPAIGN
        pause, tries = DEMO_CAMPAIGN_TRIES
        for _try in range(tries):
            time.sleep(pause)
            try:
                answer = httpx.post(f"{settings.WEIBO_API_URL}/_sandbox/scenarios/{name}", json=body, timeout=30)
            except httpx.HTTPError as exc:
                self.stderr.write(f"The demo campaign's entrants did not start: {exc}")
                return
            if answer.status_code == 409:  # the campaign post is not out yet
                continue
            if answer.is_success:
                self.stdout.write("Demo campaign: its entrants are on the sandbox (lottery_hunters).")
            else:
                self.stderr.write(f"The demo campaign's entrants did not start: {answer.text[:200]}")
            return
        self.stderr.write("The demo campaign's post never went out: its entrants were not played.")

    def connect_demo(self, app_url: str) -> None:
        base = settings.WEIBO_API_URL
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                httpx.get(f"{base}/_sandbox/health", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    self.stderr.write(f"The sandbox at {base} did not come up; demo accounts stay unconnected.")
                    return
                time.sleep(0.3)
        for account in Account.objects.filter(is_active=True).order_by("pk"):
            connection = weibo_connection_check(account=account)
            if connection is not None and connection.state == ConnectionState.CONNECTED:
                continue
            try:
                uid = sandbox_register(base, screen_name=account.name, uid=account.weibo_uid)
                connection = connect_through_sandbox(account, uid=uid, app_url=app_url)
            except Exception as exc:  # one account failing must not stop the others or the sandbox
                self.stderr.write(f"Could not connect {account.name} to the sandbox: {exc}")
                continue
            self.stdout.write(f"Connected {account.name} to the Weibo sandbox as uid {connection.uid}.")
