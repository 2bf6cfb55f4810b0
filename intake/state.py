"""What the app builds once and shares between requests, in one typed object.

It lives at `app.extensions["intake"]`; nothing else of ours is kept there.
"""

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

from intake.domain.estimate import CachedEstimate
from intake.domain.shared_counts import SharedTeamCounts
from intake.public.form_page import BlankFormPages
from intake.service import Service
from intake.staff.presenters import KeptBriefly, RowAnswersCache


@dataclass
class AppState:
    service: Service
    # The team's dashboard counts, shared by every worker (intake.domain.shared_counts).
    team_counts: SharedTeamCounts
    # The newest migration: /readyz compares the database's schema with it.
    schema_head: str | None = None
    # Our static files under fingerprinted names (intake.assets.Assets).
    assets: Any = None
    # Public pages that are the same for everyone, rendered once per address, and
    # answered from memory before Flask (intake.prepared_pages.PreparedPages).
    page_cache: dict[tuple[str, str, str], str] = field(default_factory=dict)
    prepared_pages: Any = None
    # The callback form before anything is typed, once a minute (intake.public.form_page).
    form_pages: BlankFormPages = field(default_factory=BlankFormPages)
    # How soon an ASAP request is usually called, as the form says it.
    asap_estimate: CachedEstimate = field(default_factory=CachedEstimate)
    # What the queue's rows show of each request's sealed answers, kept for a minute.
    row_answers: RowAnswersCache = field(default_factory=RowAnswersCache)
    # The list's rows as HTML, by the rows they show, kept for a minute.
    rows_html: KeptBriefly[tuple, Markup] = field(default_factory=lambda: KeptBriefly(size=64))


def app_state(app: Flask | None = None) -> AppState:
    return (app or current_app).extensions["intake"]
