"""E-mail delivery against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from email.message import EmailMessage

import pytest

from monitor.alerting.types import AlertSeverity
from monitor.db import Database
from monitor.delivery import AttemptOutcome, DeliveryState, Dispatcher
from monitor.delivery.channels import Channel
from monitor.delivery.errors import ChannelError
from monitor.delivery.message import Envelope, build_message
from monitor.delivery.smtp import EmailSender
from tests.monitor.delivery.conftest import ChannelsLoader, make_alert
from tests.monitor.delivery.servers import SmtpServer, smtp_server


def email_yaml(server: SmtpServer, *, extra: str = "", starttls: bool = False) -> str:
    return f"""
    channels:
      - id: officers-mail
        type: email
        host: {server.host}
        port: {server.port}
        starttls: {str(starttls).lower()}
        allow_private_network: true
        from: Giám sát truyền thông <giamsat@dongnai.example.vn>
        to: [truc-ban@dongnai.example.vn, lanh-dao@dongnai.example.vn]
        retry: {{max_attempts: 2, initial_delay: 10s}}
        {extra}
    """


# The test server has no TLS: logging in is allowed only because the channel says so explicitly.
PLAINTEXT_LOGIN = "username: giamsat\n        allow_plaintext_password: true\n        password_env: SMTP_PASSWORD"


def test_email_is_a_vietnamese_mime_message_with_text_and_html(db: Database, channels: ChannelsLoader) -> None:
    with smtp_server() as server:
        dispatcher = Dispatcher(db, channels(email_yaml(server)), rule_names={"watch-flooding": "Ngập lụt, mưa lớn"})
        dispatcher.enqueue([make_alert(severity=AlertSeverity.HIGH)], new_ids={"alert-1"})
        report = asyncio.run(dispatcher.deliver_due())

    assert report.sent == 1
    [mail] = server.mails
    assert mail.mail_from == "giamsat@dongnai.example.vn"
    assert mail.rcpt_tos == ["truc-ban@dongnai.example.vn", "lanh-dao@dongnai.example.vn"]
    # On the wire the subject is RFC 2047 encoded (ASCII only); decoded it is the Vietnamese text.
    raw_subject = next(line for line in mail.raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert raw_subject.isascii()
    message = mail.message
    assert message["Subject"] == "[Giám sát truyền thông Đồng Nai] [Cao] Cảnh báo mới: Ngập sâu ở Biên Hòa sau mưa lớn"
    assert message["From"] == "Giám sát truyền thông <giamsat@dongnai.example.vn>"
    assert message["To"] == "truc-ban@dongnai.example.vn, lanh-dao@dongnai.example.vn"
    assert message["X-Monitor-Alert-Id"] == "alert-1"
    assert message["X-Monitor-Delivery"] == "alert-1:officers-mail:new"
    assert message["Message-ID"].endswith("@dongnai.example.vn>")
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content_charset() == "utf-8"
    text = plain.get_content()
    assert "Cảnh báo mới — mức độ: Cao" in text
    assert "Quy tắc: Ngập lụt, mưa lớn (watch-flooding)" in text
    assert "người dân phản ánh <nước> & rác" in text
    # Event 06:00-12:00 UTC is shown in Vietnam time.
    assert "Thời gian sự kiện: 13:00 20/10/2026 – 19:00 20/10/2026" in text
    page = html.get_content()
    assert "<h2>Ngập sâu ở Biên Hòa sau mưa lớn</h2>" in page
    assert "phản ánh &lt;nước&gt; &amp; rác" in page  # escaped in HTML

    [entry] = dispatcher.log_for("alert-1")
    assert (entry.outcome, entry.status) == (AttemptOutcome.SENT, 250)
    assert entry.reply is not None
    assert "queued as Q1" in entry.reply
    assert "accepted for 2 recipient(s)" in entry.reply


def test_smtp_login_with_the_password_from_the_environment(db: Database, channels: ChannelsLoader) -> None:
    with smtp_server(credentials=("giamsat", "mat-khau-2026")) as server:
        extra = PLAINTEXT_LOGIN
        config = channels(email_yaml(server, extra=extra), env={"SMTP_PASSWORD": "mat-khau-2026"})
        dispatcher = Dispatcher(db, config)
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        assert asyncio.run(dispatcher.deliver_due()).sent == 1
    assert server.logins == [("giamsat", "mat-khau-2026")]
    assert len(server.mails) == 1


def test_wrong_smtp_password_is_a_permanent_failure(db: Database, channels: ChannelsLoader) -> None:
    with smtp_server(credentials=("giamsat", "right")) as server:
        extra = PLAINTEXT_LOGIN
        dispatcher = Dispatcher(db, channels(email_yaml(server, extra=extra), env={"SMTP_PASSWORD": "wrong"}))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        assert asyncio.run(dispatcher.deliver_due()).failed == 1
    [entry] = dispatcher.log_for("alert-1")
    assert entry.status == 535
    assert server.mails == []


def test_transient_smtp_reply_is_retried_permanent_reply_fails(db: Database, channels: ChannelsLoader) -> None:
    with smtp_server() as server:
        server.replies = ["451 4.3.0 Mailbox temporarily unavailable", "550 5.7.1 Rejected by policy"]
        dispatcher = Dispatcher(db, channels(email_yaml(server)))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        first = asyncio.run(dispatcher.deliver_due())
        next_at = dispatcher.deliveries_for("alert-1")[0].next_attempt_at
        assert next_at is not None
        second = asyncio.run(dispatcher.deliver_due(next_at))
    assert (first.retrying, second.failed) == (1, 1)
    log = dispatcher.log_for("alert-1")
    assert [(e.outcome, e.status) for e in log] == [(AttemptOutcome.RETRY, 451), (AttemptOutcome.FAILED, 550)]
    assert log[1].reply == "5.7.1 Rejected by policy"
    assert dispatcher.deliveries_for("alert-1")[0].state is DeliveryState.FAILED


def test_starttls_required_but_not_offered_is_a_permanent_failure(db: Database, channels: ChannelsLoader) -> None:
    with smtp_server() as server:
        dispatcher = Dispatcher(db, channels(email_yaml(server, starttls=True)))
        dispatcher.enqueue([make_alert()], new_ids={"alert-1"})
        assert asyncio.run(dispatcher.deliver_due()).failed == 1
    [entry] = dispatcher.log_for("alert-1")
    assert entry.error is not None
    assert "STARTTLS extension not supported by server" in entry.error
    assert server.mails == []


def test_a_password_is_never_sent_in_clear_unless_the_channel_allows_it(db: Database, channels: ChannelsLoader) -> None:
    with smtp_server(credentials=("giamsat", "mat-khau-2026")) as server:
        allowed = channels(email_yaml(server, extra=PLAINTEXT_LOGIN), env={"SMTP_PASSWORD": "mat-khau-2026"})
        # A spec built in code (not through channels.yaml) without the permission: the sender refuses too.
        [channel] = allowed.channels
        spec = channel.spec.model_copy(update={"allow_plaintext_password": False})
        sender = EmailSender(Channel(spec, channel.secrets))
        with pytest.raises(ChannelError, match="refusing to send the password over an unencrypted connection") as info:
            asyncio.run(sender.send_message(EmailMessage()))
        assert info.value.retryable is False
        assert server.logins == []
        assert server.mails == []
        # With the explicit permission, the same relay gets the login and the mail.
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "giamsat@dongnai.example.vn", "a@b.vn", "Thử"
        message.set_content("Nội dung thử")
        asyncio.run(EmailSender(channel).send_message(message))
    assert server.logins == [("giamsat", "mat-khau-2026")]
    assert len(server.mails) == 1


def _named_relay(server: SmtpServer) -> str:
    # A name, so loading cannot refuse it: what it resolves to is checked before each connection.
    return f"""
    channels:
      - id: officers-mail
        type: email
        host: mail.dongnai.example.vn
        port: {server.port}
        starttls: false  # the test relay has no TLS; no password is sent
        from: Giám sát truyền thông <giamsat@dongnai.example.vn>
        to: [truc-ban@dongnai.example.vn]
    """


def _envelope() -> Envelope:
    return Envelope(
        delivery_id=1,
        delivery_key="alert-1:officers-mail:new",
        trigger="new",
        attempt=1,
        message=build_message(make_alert()),
    )


def test_the_relay_is_reached_at_the_address_that_was_checked(channels: ChannelsLoader) -> None:
    with smtp_server() as server:
        answers = iter(["127.0.0.1", "10.0.0.25"])  # a rebinding resolver: public first, then private
        asked: list[str] = []

        async def rebinding(host: str, port: int) -> Sequence[str]:
            asked.append(host)
            return [next(answers)]

        sender = EmailSender(
            channels(_named_relay(server)).channels[0],
            resolver=rebinding,
            public_exceptions={("127.0.0.1", server.port)},
        )
        receipt = asyncio.run(sender.send(_envelope()))
    # One resolution, checked; the connection went to that answer, not to a second lookup of the name.
    assert asked == ["mail.dongnai.example.vn"]
    assert receipt.status == 250
    assert len(server.mails) == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("64:ff9b::a9fe:a9fe", "NAT64 address of 169.254.169.254 (link-local)"),
        ("10.0.0.25", "private"),
    ],
)
def test_a_relay_name_resolving_to_a_private_address_is_refused(
    channels: ChannelsLoader, answer: str, reason: str
) -> None:
    with smtp_server() as server:

        async def resolve(host: str, port: int) -> Sequence[str]:
            return [answer]

        sender = EmailSender(channels(_named_relay(server)).channels[0], resolver=resolve)
        with pytest.raises(ChannelError) as refused:
            asyncio.run(sender.send(_envelope()))
        assert server.mails == []
    assert not refused.value.retryable
    assert "refusing e-mail officers-mail: mail.dongnai.example.vn resolves to the non-public address" in str(
        refused.value.message
    )
    assert reason in refused.value.message
