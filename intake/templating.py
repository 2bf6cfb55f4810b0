"""What every template can use: the service, and times shown in the service's zone."""

from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, request
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from markupsafe import Markup

from intake.caching import Kept, declare
from intake.config import DEVELOPMENT_PUBLIC_URL
from intake.domain import states
from intake.domain.clock import utc_now
from intake.domain.estimate import wait_words
from intake.pages import SERVICE_PAGES
from intake.service import current_service

COMPILED = declare(
    "templating.compiled",
    holds="each template's compiled code, by Jinja's key for it",
    size=256,
    lifetime=None,
    cleared_by="nothing: Jinja compiles an edited template again; a deploy",
    earns="a miss compiles a template: 9 to 16 ms, for each template of each app built "
    "(bench.caches)",
)


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept in memory for every app the process builds.

    Jinja checks each entry against its template's source, so an edited template is
    compiled again. Building a second app (a test's, say) then costs no compiling.
    """

    def __init__(self) -> None:
        self.code: Kept[str, bytes] = Kept(COMPILED)

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.peek(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code.put(bucket.key, bucket.bytecode_to_string())


COMPILED_TEMPLATES = CompiledTemplates()


def compile_templates_once(app: Flask) -> None:
    """Before the app's Jinja environment exists: share compiled templates."""
    app.jinja_options = {**app.jinja_options, "bytecode_cache": COMPILED_TEMPLATES}


def register_template_helpers(app: Flask) -> None:
    app.context_processor(template_globals)
    app.add_template_global(public_url)
    app.add_template_global(SERVICE_PAGES, "service_pages")
    app.add_template_filter(local_time)
    app.add_template_filter(local_day_and_time)
    app.add_template_filter(long_date)
    app.add_template_filter(status_label)
    app.add_template_filter(wait_words)


def template_globals() -> dict[str, Any]:
    return {"service": current_service()}


def public_url(path: str | None = None) -> str:
    """An absolute URL on the public site: INTAKE_PUBLIC_URL (in development, where
    `make run` serves), never the Host a request names, so a page is the same
    whichever host it was asked for by and can be kept once per path."""
    base = current_app.config.get("INTAKE_PUBLIC_URL") or DEVELOPMENT_PUBLIC_URL
    return base.rstrip("/") + (request.path if path is None else path)


def _clock(moment: datetime) -> str:
    hour = (moment.hour - 1) % 12 + 1
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}:{moment.minute:02d}{suffix}"


def local_time(moment: datetime) -> str:
    """'2:35pm', in the service's time zone."""
    return _clock(moment.astimezone(current_service().zone))


def local_day_and_time(moment: datetime) -> str:
    """'today at 2:35pm' or 'Friday 27 November at 9:00am', in the service's time zone."""
    zone = current_service().zone
    local = moment.astimezone(zone)
    today = utc_now().astimezone(zone).date()
    day = "today" if local.date() == today else f"{local:%A} {local.day} {local:%B}"
    return f"{day} at {_clock(local)}"


def long_date(day: date) -> Markup:
    """'25 November 2026', marked up as a <time>."""
    return Markup('<time datetime="{}">{} {:%B %Y}</time>').format(day.isoformat(), day.day, day)


def status_label(status: str) -> str:
    """'waiting', 'in progress', 'completed'..., as a request's status reads in a sentence."""
    return states.LABELS[status].lower()
