#!/usr/bin/env python3
"""Finds modules of a crate that import each other, directly or round a circle.

A module's edges are the `crate::<module>` paths its source names (the crate root, lib.rs or
main.rs, is the hub every module hangs from and is left out; `super::` inside a module's own
children is not an edge out). Prints each circle; exits 1 if there is one.
Usage: scripts/module-cycles.py [crate directories...]   (default: shared/* and functions/*)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "infra" / "checks"))
from template_checks import strip_tests  # noqa: E402  (test modules and comments dropped)


def module_of(src: pathlib.Path, path: pathlib.Path) -> str | None:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]) or not parts or parts[0] == "bin":
        return None
    # tests modules in their own files (foo/tests.rs) belong to their parent
    while parts and parts[-1] == "tests":
        parts.pop()
    return parts[0] if parts else None


def edges(crate: pathlib.Path) -> dict[str, set[str]]:
    src = crate / "src"
    graph: dict[str, set[str]] = {}
    if not src.is_dir():
        return graph
    for path in src.rglob("*.rs"):
        if path.name == "tests.rs" or "tests" in path.relative_to(src).parts[:-1]:
            continue
        module = module_of(src, path)
        if module is None:
            continue
        text = strip_tests(path.read_text())
        graph.setdefault(module, set())
        for name in re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text):
            is_module = (src / f"{name}.rs").exists() or (src / name / "mod.rs").exists()
            if name != module and is_module:
                graph[module].add(name)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def main() -> int:
    crates = [pathlib.Path(a) for a in sys.argv[1:]] or sorted(
        p for d in ("shared", "functions") for p in (ROOT / d).iterdir() if (p / "src").is_dir()
    )
    bad = 0
    for crate in crates:
        for circle in circles(edges(crate)):
            bad += 1
            print(f"{crate.relative_to(ROOT) if crate.is_absolute() else crate}: {' <-> '.join(circle)}")
    if not bad:
        print(f"no module circles in {len(crates)} crates")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
