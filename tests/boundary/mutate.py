"""Structural mutations of Kubernetes objects, for the boundary fuzz suite.

A mutation picks one position in an object (any mapping key or list index, at any depth)
and replaces, deletes or wraps what is there with a value of another shape: the classes
of malformed input that crashed loaders and analyzers before the typed layer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Path = tuple[str | int, ...]
T = TypeVar("T")
#: Picks one element of a sequence: ``random.Random.choice`` or a hypothesis draw.
Pick = Callable[[Sequence[Any]], Any]

#: Replacement values: every JSON type, empty and huge containers, odd scalars and strings.
ODD_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 80, 65536, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, 1e308, -0.0, "", "80", "x",
    "app=api", "ALL", "0.0.0.0/0", "::/0", "10.0.0.0/33", "not an ip", "*", "-", "a" * 300, "ünïcødé ☃ \u200b",
    "line\nbreak", "${VAR}", "<redacted:secret>", "null", "true", "2024-01-01", [], {}, [None], [1, "a"], ["80"],
    [{}], [[]], {"a": "b"}, {"": ""}, {"k": [1]}, {"matchLabels": "x"}, [{"name": 1}], {"port": "80"},
)


def paths(obj: Any, prefix: Path = (), limit: int = 2000) -> Iterator[Path]:
    """Every position inside ``obj`` (depth first), the root excluded."""
    stack: list[tuple[Any, Path]] = [(obj, prefix)]
    n = 0
    while stack and n < limit:
        node, path = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            n += 1
            yield (*path, k)
            stack.append((v, (*path, k)))


def get(obj: Any, path: Path) -> Any:
    for p in path:
        obj = obj[p]
    return obj


OPS = ("replace", "replace", "same-type", "same-type", "delete", "wrap", "deep", "huge", "dup-shape")


def mutate(obj: dict[str, Any], pick: Pick) -> tuple[dict[str, Any], str]:
    """A mutated deep copy of ``obj`` and a description of the change."""
    out = copy.deepcopy(obj)
    all_paths = [p for p in paths(out) if p[:1] not in (("apiVersion",), ("kind",))]
    if not all_paths:  # nothing left to damage but the type line: give it a metadata of some shape
        out["metadata"] = copy.deepcopy(pick(ODD_VALUES))
        return out, "set metadata"
    path = pick(all_paths)
    parent = get(out, path[:-1])
    key = path[-1]
    op = pick(OPS)
    old = parent[key]
    if op == "delete":
        del parent[key]
    elif op == "wrap":
        parent[key] = [old] if not isinstance(old, list) else {"items": old}
    elif op == "deep":
        v: Any = old
        for i in range(pick((5, 50, 250))):
            v = [v] if i % 2 else {"a": v}
        parent[key] = v
    elif op == "huge":
        parent[key] = pick(("x" * 200_000, ["a"] * 20_000, {f"k{i}": "v" for i in range(5_000)}))
    elif op == "dup-shape":
        parent[key] = {"0": old, "1": old} if isinstance(old, list) else [old, old]
    elif op == "same-type":  # valid shapes, odd values: what the analyzers see once validation passes
        same = [v for v in ODD_VALUES if type(v) is type(old)] or list(ODD_VALUES)
        parent[key] = copy.deepcopy(pick(same))
    else:
        parent[key] = copy.deepcopy(pick(ODD_VALUES))
    return out, f"{op} {'.'.join(map(str, path))}"


#: Text-level damage: what a careless edit or a truncated download does to a file.
TEXT_OPS = ("truncate", "flip", "duplicate-line", "alias-loop", "nan", "bom", "tab", "surrogate", "big-int")


def mutate_text(text: str, pick: Pick) -> tuple[str, str]:
    """``text`` damaged by one of :data:`TEXT_OPS` at a picked position."""
    op = pick(TEXT_OPS)
    lines = text.splitlines(keepends=True) or [""]
    at = pick(range(max(len(text), 1)))
    if op == "truncate":
        return text[:at], f"{op} at {at}"
    if op == "flip":
        return text[:at] + pick("{}[]:,\"'-&*!?|>#% \n") + text[at + 1:], f"{op} at {at}"
    if op == "duplicate-line":
        i = pick(range(len(lines)))
        return "".join(lines[:i + 1] + lines[i:]), f"{op} {i}"
    if op == "alias-loop":
        return text[:at] + " &loop [*loop] " + text[at:], f"{op} at {at}"
    if op == "nan":
        return text[:at] + pick((" NaN", " .nan", " Infinity", " -.inf", " 1e999")) + text[at:], f"{op} at {at}"
    if op == "bom":
        return "\ufeff" + text, op
    if op == "tab":
        return text.replace("  ", "\t", 1), op
    if op == "surrogate":
        return text[:at] + "\\ud800" + text[at:], f"{op} at {at}"
    return text[:at] + "9" * 5000 + text[at:], f"{op} at {at}"
