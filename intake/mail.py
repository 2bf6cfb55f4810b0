"""Sending one email over SMTP, with the standard library, and reading INTAKE_SMTP_URL.

    smtp://host:port                       plain SMTP (port 25 unless given)
    smtps://host:port                      TLS from the start (port 465)
    smtp+starttls://user:password@host:port  STARTTLS, then sign in (port 587)

A user and password may be given with any of them. Errors are described in words
that name no person and no address (a server's reply may quote the recipient), so
they can be stored, logged and shown to supervisors.
"""

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

SECURITY_BY_SCHEME = {"smtp": "none", "smtps": "tls", "smtp+starttls": "starttls"}
DEFAULT_PORTS = {"none": 25, "tls": 465, "starttls": 587}
TIMEOUT_SECONDS = 30
URL_FORMS = "smtp://host:port, smtps://host:port or smtp+starttls://user:password@host:port"


class InvalidSmtpUrl(ValueError):
    """INTAKE_SMTP_URL cannot be used; the message never repeats the URL (or its password)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # none, tls or starttls
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpSettings:
    """The server to send through, from INTAKE_SMTP_URL."""
    parts = urlsplit(url.strip())
    security = SECURITY_BY_SCHEME.get(parts.scheme.lower())
    if security is None:
        raise InvalidSmtpUrl(f"INTAKE_SMTP_URL must look like {URL_FORMS}.")
    try:
        port = parts.port or DEFAULT_PORTS[security]
    except ValueError:
        raise InvalidSmtpUrl("INTAKE_SMTP_URL has a port that is not a number.") from None
    if not parts.hostname:
        raise InvalidSmtpUrl(f"INTAKE_SMTP_URL names no host: it must look like {URL_FORMS}.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidSmtpUrl("INTAKE_SMTP_URL must end after host:port.")
    if (parts.username is None) != (parts.password is None):
        raise InvalidSmtpUrl("INTAKE_SMTP_URL needs both a user and a password, or neither.")
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class DeliveryError(Exception):
    """The server did not accept the message. `permanent`: trying again will not help."""

    def __init__(self, description: str, permanent: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.permanent = permanent


def send(settings: SmtpSettings, message: EmailMessage, timeout: float = TIMEOUT_SECONDS) -> None:
    """Hand one message to the server; returns only once the server has accepted it."""
    try:
        refused = _hand_over(settings, message, timeout)
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _reply in error.recipients.values()})
        permanent = all(code >= 500 for code in codes)
        message = f"The mail server refused the address ({_codes(codes)})."
        raise DeliveryError(message, permanent) from None
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(f"The mail server refused our sign-in ({error.smtp_code}).") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"The mail server answered {error.smtp_code}.") from None
    except smtplib.SMTPServerDisconnected:
        raise DeliveryError("The mail server closed the connection.") from None
    except smtplib.SMTPException as error:
        raise DeliveryError(f"Sending failed ({type(error).__name__}).") from None
    except ssl.SSLError as error:
        raise DeliveryError(f"The secure connection failed ({type(error).__name__}).") from None
    except TimeoutError:
        raise DeliveryError("The mail server did not answer in time.") from None
    except OSError as error:
        raise DeliveryError(f"Could not reach the mail server ({type(error).__name__}).") from None
    if refused:
        raise DeliveryError("The mail server refused the address.", permanent=True)


def _hand_over(settings: SmtpSettings, message: EmailMessage, timeout: float) -> dict:
    server = _connect(settings, timeout)
    try:
        if settings.username is not None:
            server.login(settings.username, settings.password or "")
        return server.send_message(message)
    finally:
        _close_quietly(server)


def _close_quietly(server: smtplib.SMTP) -> None:
    """Say goodbye; once the message is accepted, a failed QUIT must not make it resend."""
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()


def _codes(codes: list[int]) -> str:
    return ", ".join(str(code) for code in codes)


def _connect(settings: SmtpSettings, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.security == "tls":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    if settings.security == "starttls":
        try:
            server.starttls(context=context)
        except BaseException:
            server.close()
            raise
    return server
