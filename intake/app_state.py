"""What the app builds once and shares between requests, in one typed object.

It lives at `app.extensions["intake"]`; nothing else of ours is kept there. It knows
no audience: each blueprint keeps its own stores here (intake.caching.Kept), made
on first use under the name it declares them by.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app

from intake.caching import Declared, Kept
from intake.domain.shared_counts import SharedTeamCounts
from intake.service import Service


@dataclass
class AppState:
    service: Service
    # The team's dashboard counts, shared by every worker (intake.domain.shared_counts).
    team_counts: SharedTeamCounts
    # The newest migration: /readyz compares the database's schema with it.
    schema_head: str | None = None
    # Our static files under fingerprinted names (intake.assets.Assets).
    assets: Any = None
    # Public pages that are the same for everyone, answered from memory before Flask
    # (intake.prepared_pages.PreparedPages).
    prepared_pages: Any = None
    # Each audience's stores, by their declared names (see `store`).
    stores: dict[str, Kept] = field(default_factory=dict)
    # The shared generation the personal stores were kept under
    # (intake.domain.cache_generation), read at most once every `generation_check_every`.
    personal_generation: int | None = None
    generation_checked_at: datetime | None = None
    generation_check_every: timedelta = timedelta(seconds=1)

    def store(self, declared: Declared) -> Kept:
        """This app's store for a declaration (intake.caching), made on first use."""
        kept = self.stores.get(declared.name)
        if kept is None:
            kept = self.stores.setdefault(declared.name, Kept(declared))
        return kept

    def empty_stores(self) -> None:
        """Empty every store this app keeps: its audiences' and the prepared pages'."""
        for kept in self.stores.values():
            kept.clear()
        if self.prepared_pages is not None:
            self.prepared_pages.pages.clear()

    def drop_personal_if_stale(self, read_generation: Callable[[], int], now: datetime) -> None:
        """Empty every store that holds personal data once the shared generation has
        moved (an erasure, a correction, a purge or a key rotation in any worker)."""
        checked = self.generation_checked_at
        if checked is not None and now - checked < self.generation_check_every:
            return
        self.generation_checked_at = now
        generation = read_generation()
        if generation != self.personal_generation:
            for kept in self.stores.values():
                if kept.declared.personal:
                    kept.clear()
            self.personal_generation = generation


def app_state(app: Flask | None = None) -> AppState:
    return (app or current_app).extensions["intake"]
