"""The project's own Python modules, parsed once per test session for the tests that read the code (the layers,
the form bindings, the extension guide): each walks every module, and parsing is most of their cost."""

from __future__ import annotations

import ast
import functools
from pathlib import Path


@functools.cache
def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of the module at ``path``, in ``ast.walk`` order (read and parsed on the first call only)."""
    return tuple(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
