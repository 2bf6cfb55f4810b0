"""Nothing of ours touches a private name of the frameworks we build on.

A name starting with an underscore (not a __dunder__) of Flask, Werkzeug,
Flask-SQLAlchemy, SQLAlchemy or Jinja can change in any release without a word: code
or tests that read, set, patch or override one break on an upgrade, or keep passing
while testing something else. The source of intake/ and tests/ is read with `ast`:

- an object is the frameworks' when its name is imported from one of them; assigned,
  in the same file, from an expression that starts with such a name (`engine =
  db.engine`, `app = Flask(...)`, `with engine.begin() as connection`); a parameter
  annotated with one (`app: Flask`); one of our module-level objects made by calling
  one and imported elsewhere (`db = SQLAlchemy()` in intake.extensions); or, in tests,
  a fixture whose return annotation in tests/conftest.py names one (`app`, `client`);
- flagged: `obj._name` on such an object; getattr, setattr, delattr or hasattr of one
  with a literal private name, monkeypatch.setattr too; a dotted string naming a
  private attribute in a framework module ("flask.app._thing"); and a subclass of a
  framework class that defines or calls, on self or super(), a private name its
  framework base has (the base is imported and asked).

Its limits: it follows names, not types. An object reached through our own functions
(`app_state(app).prepared_pages`), containers or loops loses its origin, a name reused
for something else in the same file keeps it, and access built at run time
(getattr with a computed name, `vars()`) is not seen. SQLAlchemy's Row names
`_mapping`, `_asdict`, `_fields`, `_t` and `_tuple` are public (the underscore keeps
them from clashing with column names) and allowed.
"""

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = {"flask", "werkzeug", "flask_sqlalchemy", "sqlalchemy", "jinja2", "flask_login"}
PUBLIC_DESPITE_UNDERSCORE = {"_mapping", "_asdict", "_fields", "_t", "_tuple"}
INSPECTORS = {"getattr", "setattr", "delattr", "hasattr"}


def is_private(name: str) -> bool:
    dunder = name.startswith("__") and name.endswith("__")
    return name.startswith("_") and not dunder and name not in PUBLIC_DESPITE_UNDERSCORE


def is_framework(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in FRAMEWORKS


def root_name(node: ast.AST) -> str | None:
    """The name an expression starts from: `db` in `db.session.connection()._x`."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript | ast.Starred):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def dotted(node: ast.AST) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class Module:
    """One file's names: where each came from, and which are the frameworks'."""

    def __init__(self, tree: ast.Module, exported: set[tuple[str, str]], fixtures: set[str]):
        self.tree = tree
        self.origins: dict[str, tuple[str, str | None]] = {}  # name: (module, attribute)
        self.framework_names = set(fixtures)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    self.origins[name] = (alias.name if alias.asname else name, None)
                    if is_framework(alias.name):
                        self.framework_names.add(name)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    name = alias.asname or alias.name
                    self.origins[name] = (node.module, alias.name)
                    if is_framework(node.module) or (node.module, alias.name) in exported:
                        self.framework_names.add(name)
        self._follow_assignments()

    def _follow_assignments(self) -> None:
        while True:
            known = len(self.framework_names)
            for node in ast.walk(self.tree):
                for target, value in self._bindings(node):
                    if root_name(value) in self.framework_names and isinstance(target, ast.Name):
                        self.framework_names.add(target.id)
                if isinstance(node, ast.arg) and self.names_a_framework_type(node.annotation):
                    self.framework_names.add(node.arg)
            if len(self.framework_names) == known:
                return

    def names_a_framework_type(self, annotation: ast.AST | None) -> bool:
        return annotation is not None and any(
            isinstance(n, ast.Name) and n.id in self.framework_names for n in ast.walk(annotation)
        )

    @staticmethod
    def _bindings(node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield target, node.value
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            yield node.target, node.value
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    yield item.optional_vars, item.context_expr

    def resolve(self, node: ast.AST) -> object | None:
        """The framework object an expression names (a base class), imported."""
        parts = dotted(node)
        if not parts or parts[0] not in self.origins or parts[0] not in self.framework_names:
            return None
        module, attribute = self.origins[parts[0]]
        try:
            found = importlib.import_module(module)
            for name in ([attribute] if attribute else []) + parts[1:]:
                found = getattr(found, name)
        except (ImportError, AttributeError):
            return None
        return found


def exported_objects(trees: dict[str, ast.Module]) -> set[tuple[str, str]]:
    """Our module-level objects made by calling a framework: (module, name)."""
    found = set()
    for name, tree in trees.items():
        module = Module(tree, set(), set())
        for node in tree.body:
            made = isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            if made and root_name(node.value) in module.framework_names:
                found |= {(name, t.id) for t in node.targets if isinstance(t, ast.Name)}
    return found


def framework_fixtures(conftest: ast.Module, exported: set[tuple[str, str]]) -> set[str]:
    """Fixtures whose return annotation names a framework type (`app -> Iterator[Flask]`)."""
    module = Module(conftest, exported, set())
    return {
        node.name
        for node in conftest.body
        if isinstance(node, ast.FunctionDef) and module.names_a_framework_type(node.returns)
    }


def private_uses(
    tree: ast.Module, exported: set[tuple[str, str]], fixtures: set[str] = frozenset()
) -> Iterator[tuple[int, str]]:
    """(line, what) for each private framework name the module touches."""
    module = Module(tree, exported, fixtures)
    ours = module.framework_names
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            if root_name(node.value) in ours:
                yield node.lineno, f"{ast.unparse(node)}"
        elif isinstance(node, ast.Call):
            yield from _inspected(node, ours)
            yield from _patched_by_path(node)
        elif isinstance(node, ast.ClassDef):
            yield from _overridden(node, module)


def _inspected(call: ast.Call, ours: set[str]) -> Iterator[tuple[int, str]]:
    """getattr(app, "_x"), monkeypatch.setattr(db, "_x", ...)."""
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
    if name not in INSPECTORS or len(call.args) < 2:
        return
    target, attribute = call.args[0], call.args[1]
    if (
        isinstance(attribute, ast.Constant)
        and isinstance(attribute.value, str)
        and is_private(attribute.value)
        and root_name(target) in ours
    ):
        yield call.lineno, ast.unparse(call)


def _patched_by_path(call: ast.Call) -> Iterator[tuple[int, str]]:
    """monkeypatch.setattr("flask.app._thing", ...): a dotted path into a framework."""
    name = getattr(call.func, "attr", None)
    if name not in {"setattr", "delattr"} or not call.args:
        return
    path = call.args[0]
    if isinstance(path, ast.Constant) and isinstance(path.value, str) and "." in path.value:
        parts = path.value.split(".")
        if is_framework(parts[0]) and any(is_private(part) for part in parts):
            yield call.lineno, ast.unparse(call)


def _overridden(cls: ast.ClassDef, module: Module) -> Iterator[tuple[int, str]]:
    """A subclass of a framework class defining or calling its base's private names."""
    bases = [base for base in map(module.resolve, cls.bases) if isinstance(base, type)]
    if not bases:
        return

    def the_bases_have(name: str) -> bool:
        return is_private(name) and any(hasattr(base, name) for base in bases)

    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and the_bases_have(node.name):
            yield node.lineno, f"{cls.name}.{node.name} overrides a private method"
        elif isinstance(node, ast.Attribute) and the_bases_have(node.attr):
            owner = node.value
            on_self = isinstance(owner, ast.Name) and owner.id in {"self", "cls"}
            on_super = isinstance(owner, ast.Call) and root_name(owner) == "super"
            if on_self or on_super:
                yield node.lineno, f"{cls.name}: {ast.unparse(node)}"


def source_files() -> list[Path]:
    files = [*(ROOT / "intake").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]
    return sorted(path for path in files if "node_modules" not in path.parts)


def test_no_code_or_test_touches_a_private_name_of_flask_werkzeug_sqlalchemy_or_jinja():
    trees = {module_name(path): ast.parse(path.read_text(), str(path)) for path in source_files()}
    exported = exported_objects(trees)
    fixtures = framework_fixtures(trees["tests.conftest"], exported)
    assert {"app", "client", "db_session"} <= fixtures  # the scan knows what tests hold
    found = [
        f"{name.replace('.', '/')}.py:{line}: {what}"
        for name, tree in trees.items()
        for line, what in private_uses(tree, exported, fixtures if name[:6] == "tests." else set())
    ]
    assert found == [], "\n".join(found)


# The scan itself: what it must see, and what it must leave alone.

SEEN = {
    "an extension's private method, patched": (
        "from intake.extensions import db\nmake = db._make_engine\ndb._make_engine = make"
    ),
    "a private method overridden": (
        "from werkzeug.routing import Rule\n"
        "class Shared(Rule):\n"
        "    def _compile_builder(self, append_unknown=True):\n"
        "        return super()._compile_builder(append_unknown)"
    ),
    "a proxy's private method": (
        "from flask import current_app\nreal = current_app._get_current_object()"
    ),
    "through an assignment": (
        "from intake.extensions import db\n"
        "def f():\n    engine = db.engine\n    with engine.connect() as c:\n        c._x"
    ),
    "an annotated parameter": "from flask import Flask\ndef f(web: Flask):\n    web._x",
    "by name, with getattr": "import flask\ngetattr(flask.g, '_x')",
    "patched by path": "def test(monkeypatch):\n    monkeypatch.setattr('flask.app._x', 1)",
    "a fixture in a test": "def test(app):\n    app._got_first_request",
}

LEFT_ALONE = {
    "our own private names": "class Ours:\n    def _x(self):\n        return self._y",
    "a dunder": "from flask import Flask\nFlask.__name__",
    "a row's mapping": "from sqlalchemy import select\nrow = select(1)\nrow._mapping",
    "a framework subclass's own helper": (
        "from jinja2 import BytecodeCache\n"
        "class Kept(BytecodeCache):\n    def _ours(self):\n        return self._mine"
    ),
}


@pytest.mark.parametrize("source", SEEN.values(), ids=SEEN.keys())
def test_the_scan_sees(source):
    exported = {("intake.extensions", "db")}
    assert list(private_uses(ast.parse(source), exported, {"app"}))


@pytest.mark.parametrize("source", LEFT_ALONE.values(), ids=LEFT_ALONE.keys())
def test_the_scan_leaves_alone(source):
    assert list(private_uses(ast.parse(source), set(), {"app"})) == []
