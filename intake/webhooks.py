"""Posting one signed alert to INTAKE_ALERT_WEBHOOK_URL, with the standard library.

The body is JSON; its `text` is what Slack and Microsoft Teams show. It is signed with
HMAC-SHA256 of the exact body bytes, keyed with INTAKE_ALERT_WEBHOOK_SECRET, in the
header `X-Intake-Signature: sha256=<hex>`. Redirects are not followed (a POST must
not turn into a GET elsewhere). Any answer but 2xx is a failure: a 4xx other than 408
and 429 is permanent, the rest are tried again. Errors never repeat the URL, which
may hold a token of its own.
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.client import HTTPException
from typing import Any

from intake.mail import DeliveryError

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Intake-Signature"
# Too early or too many: the receiver asks us to try again later.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})


@dataclass(frozen=True)
class Webhook:
    url: str = field(repr=False)
    secret: str = field(repr=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Webhook | None":
        url = config.get("INTAKE_ALERT_WEBHOOK_URL")
        if not url:
            return None
        return cls(url=url, secret=config.get("INTAKE_ALERT_WEBHOOK_SECRET") or "")


def body(facts: Mapping[str, Any], text: str, sent_at: datetime) -> bytes:
    """The JSON sent: `text` first, then the structured fields."""
    fields = {key: value for key, value in facts.items() if key != "to"}
    document = {"text": text, **fields, "sent_at": sent_at.isoformat()}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(payload: bytes, secret: str) -> str:
    """The header's value: what a receiver computes again and compares."""
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx is raised as an HTTPError: a failure, tried again


# The default handlers (proxies from the environment, TLS with certificate checks), less
# following redirects.
_OPENER = urllib.request.build_opener(_NoRedirects())


def post(webhook: Webhook, payload: bytes, timeout: float = TIMEOUT_SECONDS) -> None:
    """POST the signed body; returns only once the receiver answered 2xx."""
    if not webhook.url.lower().startswith(("http://", "https://")):
        raise DeliveryError("The webhook address is not http or https.", permanent=True)
    request = urllib.request.Request(  # noqa: S310  (http or https only, checked above)
        webhook.url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "intake-alerts",
            SIGNATURE_HEADER: signature(payload, webhook.secret),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
        error.close()
    except TimeoutError:
        raise DeliveryError("The webhook did not answer in time.") from None
    except urllib.error.URLError as error:
        reason = (
            type(error.reason).__name__ if isinstance(error.reason, BaseException) else "URLError"
        )
        raise DeliveryError(f"Could not reach the webhook ({reason}).") from None
    except (HTTPException, OSError) as error:
        raise DeliveryError(f"The webhook connection failed ({type(error).__name__}).") from None
    if not 200 <= status < 300:
        permanent = 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS
        raise DeliveryError(f"The webhook answered {status}.", permanent)
