"""What the app builds once and shares between requests, in one typed object.

It lives at `app.extensions["intake"]`; nothing else of ours is kept there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
    # Public pages that are the same for everyone, rendered once per path, and
    # answered from memory before Flask (intake.prepared_pages.PreparedPages).
    page_cache: dict[str, str] = field(default_factory=dict)
    prepared_pages: Any = None
    # The callback form before anything is typed, once a minute (intake.public.form_page).
    form_pages: BlankFormPages = field(default_factory=BlankFormPages)
    # How soon an ASAP request is usually called, as the form says it.
    asap_estimate: CachedEstimate = field(default_factory=CachedEstimate)
    # What the queue's rows show of each request's sealed answers, kept for a minute.
    row_answers: RowAnswersCache = field(default_factory=RowAnswersCache)
    # The list's rows as HTML, by the rows they show, kept for a minute.
    rows_html: KeptBriefly[tuple, Markup] = field(default_factory=lambda: KeptBriefly(size=64))
    # The shared generation these two were kept under (intake.domain.cache_generation),
    # read at most once every `generation_check_every`.
    personal_generation: int | None = None
    generation_checked_at: datetime | None = None
    generation_check_every: timedelta = timedelta(seconds=1)

    def drop_personal_if_stale(self, read_generation: Callable[[], int], now: datetime) -> None:
        """Forget every answer kept in memory once the shared generation has moved (an
        erasure, a correction, a purge or a key rotation in any worker), and anything
        kept longer than its minute, whichever request comes next."""
        checked = self.generation_checked_at
        if checked is not None and now - checked < self.generation_check_every:
            return
        self.generation_checked_at = now
        generation = read_generation()
        if generation != self.personal_generation:
            self.row_answers.clear()
            self.rows_html.clear()
            self.personal_generation = generation
        self.row_answers.sweep(now)
        self.rows_html.sweep(now)


def app_state(app: Flask | None = None) -> AppState:
    return (app or current_app).extensions["intake"]
