"""URL rules whose builders are compiled once per process, not once per app.

For every rule added to an app, Werkzeug writes and compiles a small Python function
that builds the rule's URLs: most of the time it takes to build an app. The function
depends only on the rule's parts and defaults, so every app in a process can share it
(tests build an app each; production builds one per worker and gains nothing).
"""

from collections.abc import Callable
from typing import Any, ClassVar

from werkzeug.routing import Rule


class SharedBuilderRule(Rule):
    _builders: ClassVar[dict[tuple, Callable[..., tuple[str, str]]]] = {}

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        key = (tuple(self._trace), _defaults_key(self), append_unknown)
        if key not in self._builders:
            self._builders[key] = super()._compile_builder(append_unknown)
        return self._builders[key]


def _defaults_key(rule: Rule) -> tuple[Any, ...]:
    """The defaults, with the converter that writes each into the URL."""
    defaults = rule.defaults or {}
    return tuple(
        (name, repr(value), type(rule._converters.get(name)))
        for name, value in sorted(defaults.items())
    )
