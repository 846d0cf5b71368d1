"""No module reaches into another area's private names (issue 16).

An area is a package directly under `fieldapp/` (or `sync/`, which must stay framework-free). A name starting
with one underscore is private to its area: another area that needs it asks for a public home instead (as
`access.child_or_404` and `csv_cells.escape_formula` were given). Checked on the source with `ast`, for both
`from x import _name` and `module._name` on an imported module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def area(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "fieldapp" else parts[0]


def resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def borrowed_private_names(path: Path, root: Path = ROOT) -> list[str]:
    module, is_package = module_name(path, root), path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, other_area_modules = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = resolve(node, module, is_package)
            if not target.startswith(("fieldapp", "sync")) or area(target) == area(module):
                continue
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{module} imports {target}.{alias.name}")
                else:  # maybe a module: remember it for attribute access below
                    other_area_modules[alias.asname or alias.name] = f"{target}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(("fieldapp", "sync")) and area(alias.name) != area(module):
                    other_area_modules[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in other_area_modules
            and private(node.attr)
        ):
            found.append(f"{module} uses {other_area_modules[node.value.id]}.{node.attr}")
    return found


def sources():
    for top in ("fieldapp", "sync"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_borrows_another_areas_private_names():
    found = [line for path in sources() for line in borrowed_private_names(path)]
    assert found == []


def test_the_check_sees_both_kinds_of_borrowing(tmp_path):
    """The check itself: a module in one area borrowing from another is caught, within an area is allowed."""
    (tmp_path / "fieldapp" / "review").mkdir(parents=True)
    borrower = tmp_path / "fieldapp" / "review" / "views.py"
    borrower.write_text(
        "from ..cases.views import _child_or_404\nfrom ..cases import views\n"
        "from .forms import _own\nx = views._secret\n"
    )
    assert borrowed_private_names(borrower, tmp_path) == [
        "fieldapp.review.views imports fieldapp.cases.views._child_or_404",
        "fieldapp.review.views uses fieldapp.cases.views._secret",
    ]


def test_the_readme_layout_names_every_area_package():
    """A newcomer finds every area from the README's Layout section (issue 16)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("```", layout.index("```") + 3)]
    packages = sorted(path.parent.name for path in (ROOT / "fieldapp").glob("*/__init__.py"))
    assert [name for name in packages if f"  {name}/" not in layout] == []
