"""Every cache of ours, made one way, on cachetools, and declared where it is made.

A declaration says what the cache holds, how many entries at most, for how long,
what clears it, and why it earns its place (with the figure measured in bench/ or
by a test). `DECLARED` gathers every declaration in the process, so a test can read
them all and docs/caching.md lists them.

Two kinds, one way:
- `memoised(...)`: a pure function's answers, kept by this process for every app in
  it (the tests build many apps; a deploy restarts the process).
- `Kept(declare(...))`: a store with `get(key, work_out)`, most often one app's, in
  its shared object (intake.app_state). A declaration marked `personal` holds
  something of a person's data: such stores are cleared as soon as the shared
  generation moves (an erasure, a correction, a purge or a key rotation in any
  worker; intake.domain.cache_generation).

Declarations are made when their module is imported, so once the app is built
`DECLARED` names every cache it can have.

Lifetimes run on the service's clock (intake.domain.clock), so tests that move time
move them too.
"""

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

import cachetools

from intake.domain.clock import utc_now

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class Declared:
    name: str
    holds: str
    size: int
    lifetime: timedelta | None  # None: until cleared, or the least used goes
    cleared_by: str
    earns: str
    personal: bool = False


DECLARED: dict[str, Declared] = {}
_MISSING = object()


def declare(name: str, **facts) -> Declared:
    """Record what a cache is (see Declared); one name, one declaration."""
    declared = Declared(name=name, **facts)
    known = DECLARED.setdefault(name, declared)
    if known != declared:
        raise ValueError(f"the cache {name!r} is declared twice, differently")
    return declared


def _clock() -> float:
    return utc_now().timestamp()


def _store(declared: Declared) -> cachetools.Cache:
    if declared.lifetime is None:
        return cachetools.LRUCache(maxsize=declared.size)
    return cachetools.TTLCache(
        maxsize=declared.size, ttl=declared.lifetime.total_seconds(), timer=_clock
    )


def memoised(name: str, **facts) -> Callable[[Callable], Callable]:
    """A decorator: the function's answers by its arguments, for this process."""
    declared = declare(name, **facts)
    return cachetools.cached(_store(declared), lock=threading.Lock())


class Kept(Generic[K, V]):
    """A store made from its declaration (see the module's docstring): one app's, in
    its shared object, or the process's; safe across a worker's threads."""

    def __init__(self, declared: Declared) -> None:
        self.declared = declared
        self._store = _store(declared)
        self._lock = threading.Lock()

    def get(self, key: K, work_out: Callable[[], V]) -> V:
        with self._lock:
            kept = self._store.get(key, _MISSING)
        if kept is not _MISSING:
            return kept
        value = work_out()  # outside the lock: another thread's work need not wait
        with self._lock:
            self._store[key] = value
        return value

    def peek(self, key: K) -> V | None:
        """What is kept for `key`, or None (for a store filled after the fact)."""
        with self._lock:
            return self._store.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._store[key] = value

    def keys(self) -> list[K]:
        with self._lock:
            return list(self._store.keys())

    def clear(self) -> None:
        with self._lock:
            self._store.clear()

    def __len__(self) -> int:
        with self._lock:
            if isinstance(self._store, cachetools.TTLCache):
                self._store.expire()
            return len(self._store)

    def __contains__(self, key: K) -> bool:
        with self._lock:
            return key in self._store
