"""A real SMTP server for tests (aiosmtpd), on a port chosen before it starts, so a
test can have it down first and bring it up later."""

import email
import email.policy
import socket
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# Generous: tests must not fail because the machine is busy.
READY_SECONDS = 60


class Inbox:
    """An aiosmtpd handler that keeps what it accepts (or refuses every address)."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.envelopes = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            contents = [envelope.content for envelope in self.envelopes]
        return [email.message_from_bytes(c, policy=email.policy.default) for c in contents]


class SmtpServer:
    """A real SMTP server on a port chosen before it starts, so it can be down first."""

    def __init__(self, port: int, refuse: bool = False) -> None:
        self.port = port
        self.inbox = Inbox(refuse)
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=READY_SECONDS
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
