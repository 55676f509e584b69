"""Outbound webhooks go only to the internet: a URL whose host is or resolves to a private, loopback,
link-local, multicast or reserved address is refused when it is saved and again when a call is due."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from weibo_ops import webhooks
from weibo_ops.webhooks import webhook_destination_problem, webhook_post, webhook_url_check

REFUSED = [
    "http://127.0.0.1/",
    "http://localhost/",
    "http://LOCALHOST./hook",
    "http://api.localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.5.4:8080/",
    "http://192.168.1.10/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://0.0.0.0/",
    "http://0/",
    "http://2130706433/",  # 127.0.0.1 written as one number
    "http://0x7f.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",  # 169.254.169.254, IPv4-mapped
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_destinations_are_refused_with_the_reason(url):
    with pytest.raises(ValidationError) as error:
        webhook_url_check(url)
    [message] = error.value.message_dict["webhook_url"]
    assert "must be a service on the internet" in message and "private, loopback or link-local" in message


def test_the_reason_names_the_address_the_host_resolved_to():
    with pytest.raises(ValidationError) as error:
        webhook_url_check("https://localhost:8443/hook", field="url")
    assert error.value.message_dict == {"url": [
        "The webhook must be a service on the internet: localhost is a private, loopback or link-local address "
        "(localhost), which the server does not call."]}
    assert "(169.254.169.254)" in webhook_destination_problem("http://169.254.169.254/")


def test_a_host_is_refused_when_any_address_it_resolves_to_is_private(monkeypatch):
    answers = {"hooks.example.net": ["8.8.8.8", "::ffff:10.1.2.3"], "public.example.net": ["8.8.8.8", "2001:4860::1"]}

    def resolve(host, port, *args, **kwargs):  # the name service: what DNS answers for these names
        assert port == 443
        return [(10 if ":" in a else 2, 1, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)
    assert webhook_destination_problem("https://hooks.example.net/a") == (
        "The webhook must be a service on the internet: hooks.example.net is a private, loopback or link-local "
        "address (::ffff:10.1.2.3), which the server does not call.")
    assert webhook_destination_problem("https://public.example.net/a") is None


def test_a_host_without_an_address_is_accepted_when_saved_and_retried_when_called(monkeypatch):
    import socket

    import httpx

    def resolve(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)
    webhook_url_check("https://hooks.example.net/a")  # checked again before every call
    with pytest.raises(httpx.ConnectError):  # the task retries, as for any connection that fails
        webhook_post(url="https://hooks.example.net/a", secret="s", body={"event": "alert.raised"})


@pytest.mark.parametrize("url", ["https://8.8.8.8/hook", "http://[2001:4860:4860::8888]:8080/hook"])
def test_public_addresses_are_accepted(url):
    webhook_url_check(url)
    assert webhook_destination_problem(url) is None


@pytest.mark.parametrize("url", ["ftp://8.8.8.8/hook", "file:///etc/passwd", "gopher://8.8.8.8/", "//8.8.8.8/"])
def test_only_http_and_https_are_called(url):
    with pytest.raises(ValidationError) as error:
        webhook_url_check(url)
    assert error.value.message_dict["webhook_url"] == [
        "Use an http or https address, like https://hooks.example.com/alerts."]


def test_the_setting_for_tests_and_the_demo_lets_a_local_receiver_through(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    webhook_url_check("http://127.0.0.1:9000/hook")
    with pytest.raises(ValidationError):
        webhook_url_check("file:///etc/passwd")  # the scheme is still checked


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook?access_token=tok-9f2e", _Hook.received
    server.shutdown()
    server.server_close()


def test_delivery_checks_the_destination_again_and_logs_without_the_token(receiver, caplog, settings):
    url, received = receiver
    caplog.set_level(logging.WARNING, logger="weibo_ops.webhooks")
    assert webhook_post(url=url, secret="s", body={"event": "alert.raised"}) is None
    assert received == []
    [record] = caplog.records
    assert record.getMessage().startswith("webhook not sent to 127.0.0.1: ")
    assert "tok-9f2e" not in caplog.text
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the same receiver, allowed as in tests and the demo
    assert webhook_post(url=url, secret="s", body={"event": "alert.raised"}) == 204
    assert len(received) == 1
