"""The layers stay apart: the domain knows nothing of HTTP, and each audience's
blueprint stands on the domain, not on the other blueprint."""

import ast
from pathlib import Path

import pytest

from intake.app_state import AppState

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


AUDIENCES = ("intake.public", "intake.staff", "intake.wallboard")
# The shared modules: everything but the audiences' packages and the app factory, which
# is where the audiences are registered.
SHARED = sorted(
    path
    for path in PACKAGE.rglob("*.py")
    if path.relative_to(PACKAGE).parts[0] not in {"public", "staff", "wallboard", "__init__.py"}
)


@pytest.mark.parametrize("path", SHARED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_shared_module_imports_no_audience(path):
    """The app's shared object, the domain, caching and the rest stand under every
    audience: each audience keeps its own stores (intake.app_state.AppState.store)."""
    assert not [name for name in imported_modules(path) if name.startswith(AUDIENCES)]


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


def domain_modules_imported(path: Path) -> set[str]:
    """The modules of intake.domain that this one imports (by short name), wherever the
    import is: at the top, inside a function, or under `if TYPE_CHECKING:`."""
    domain = {other.stem for other in path.parent.glob("*.py")} - {"__init__"}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            package = "intake.domain" if node.level == 1 else "intake" if node.level else ""
            module = ".".join(part for part in (package, node.module) if part)
            modules = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[:2] == ["intake", "domain"] and len(parts) > 2 and parts[2] in domain:
                found.add(parts[2])
    return found - {path.stem}


def test_no_two_domain_modules_import_each_other():
    """Of two domain modules, one stands on the other: a pair that import each other (even
    inside a function, or for type hints only) is one module in two files, and works only
    while neither needs the other at import time."""
    imports = {
        path.stem: domain_modules_imported(path)
        for path in (PACKAGE / "domain").glob("*.py")
        if path.stem != "__init__"
    }
    both_ways = sorted(
        f"{one} <-> {other}"
        for one, imported in imports.items()
        for other in imported
        if one < other and one in imports.get(other, ())
    )
    assert not both_ways, f"these domain modules import each other: {', '.join(both_ways)}"
