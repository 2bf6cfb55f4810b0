"""One way to cache: every cache declared where it is made (intake/caching.py), listed
in docs/caching.md as declared, and no other way of caching in the package."""

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from intake.caching import DECLARED, Kept, declare
from tests.factories import utc

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"lru_cache", "cache", "cached", "cachetools", "TTLCache", "LRUCache"}


def ours(app) -> dict:
    """The declarations the app's modules made (tests declare their own under "test.")."""
    return {name: declared for name, declared in DECLARED.items() if not name.startswith("test.")}


def documented() -> dict[str, tuple[str, str]]:
    """docs/caching.md's table: each cache's (at most, for)."""
    rows = re.findall(
        r"^\| `([\w.]+)` \| [^|]+ \| (\d+) \| ([^|]+) \|",
        (ROOT / "docs/caching.md").read_text(),
        re.M,
    )
    return {name: (size, lifetime.strip()) for name, size, lifetime in rows}


def in_words(lifetime: timedelta | None) -> str:
    if lifetime is None:
        return "until cleared"
    seconds = int(lifetime.total_seconds())
    return "1 minute" if seconds == 60 else f"{seconds} seconds"


def test_every_cache_says_what_it_holds_for_how_long_what_clears_it_and_what_it_earns(app):
    for declared in ours(app).values():
        assert declared.holds and declared.cleared_by and declared.size > 0
        assert re.search(r"\d", declared.earns), f"{declared.name} earns its place with a figure"


def test_the_docs_list_exactly_the_declared_caches_with_their_sizes_and_lifetimes(app):
    declared = {name: (str(item.size), in_words(item.lifetime)) for name, item in ours(app).items()}
    assert documented() == declared


def test_nothing_in_the_package_caches_another_way():
    others = []
    for path in sorted((ROOT / "intake").rglob("*.py")):
        if path.name == "caching.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if (set(names) & FORBIDDEN) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "functools"
                and {"lru_cache", "cache"} & {alias.name for alias in node.names}
            ):
                others.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert others == []


def test_a_store_keeps_for_its_lifetime_then_works_the_value_out_again():
    store = Kept(
        declare(
            "test.a_minute",
            holds="numbers",
            size=4,
            lifetime=timedelta(minutes=1),
            cleared_by="time",
            earns="1 test",
        )
    )
    answers = iter(range(10))
    with time_machine.travel(utc(2027, 1, 15, 10, 0), tick=False) as clock:
        assert store.get("key", lambda: next(answers)) == 0
        clock.shift(timedelta(seconds=59))
        assert store.get("key", lambda: next(answers)) == 0
        clock.shift(timedelta(seconds=2))
        assert store.get("key", lambda: next(answers)) == 1


def test_a_name_declared_twice_differently_is_refused():
    declare("test.twice", holds="a", size=1, lifetime=None, cleared_by="b", earns="1")
    with pytest.raises(ValueError, match="declared twice"):
        declare("test.twice", holds="a", size=2, lifetime=None, cleared_by="b", earns="1")
