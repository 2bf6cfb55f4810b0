"""The layers stay apart: the domain knows nothing of HTTP, and each audience's
blueprint stands on the domain, not on the other blueprint."""

import ast
from pathlib import Path

import pytest

from intake.state import AppState

PACKAGE = Path(__file__).resolve().parents[1] / "intake"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "domain").glob("*.py")), ids=lambda p: p.name)
def test_the_domain_knows_nothing_of_flask(path):
    web = {name for name in imported_modules(path) if name.split(".")[0] in {"flask", "werkzeug"}}
    assert not web


@pytest.mark.parametrize("path", sorted((PACKAGE / "staff").glob("*.py")), ids=lambda p: p.name)
def test_the_staff_side_takes_nothing_from_the_public_blueprint(path):
    assert not [name for name in imported_modules(path) if name.startswith("intake.public")]


@pytest.mark.parametrize("path", sorted((PACKAGE / "wallboard").glob("*.py")), ids=lambda p: p.name)
def test_the_wallboard_stands_on_the_domain_alone(path):
    """The third audience takes nothing from the visitors' or the staff's blueprint, and
    leaves committing and auditing to intake.domain.wallboards."""
    others = ("intake.public", "intake.staff")
    assert not [name for name in imported_modules(path) if name.startswith(others)]
    assert "session.commit()" not in path.read_text()
    assert "audit.record(" not in path.read_text()


@pytest.mark.parametrize("name", ["views.py", "team.py"])
def test_staff_views_leave_committing_and_auditing_to_the_domain(name):
    text = (PACKAGE / "staff" / name).read_text()
    assert "session.commit()" not in text
    assert "audit.record(" not in text


def test_the_apps_shared_state_is_one_typed_object(app):
    ours = [name for name in app.extensions if name.startswith("intake")]
    assert ours == ["intake"]
    state = app.extensions["intake"]
    assert isinstance(state, AppState)
    assert state.assets is not None and state.schema_head is not None
