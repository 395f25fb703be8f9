"""Guarded parsers: every byte kubesec-nb reads from a file goes through here.

Kubernetes objects are JSON values, whatever the file format, so every parser yields
only what JSON can carry (mappings with string keys, lists, strings, finite numbers,
booleans, null) or raises one :class:`~kubesec_nb.errors.SnapshotError` naming the file,
the document and, where the parser knows it, the line:

* sizes: files over ``max_bytes`` (also after gunzip) are refused;
* JSON: duplicate keys (kubectl rejects them), ``NaN``/``Infinity`` and numbers that
  overflow to them, integers over Python's 4,300-digit limit, lone UTF-16 surrogates
  (``"\\ud800"``, which no UTF-8 file can hold) and nesting past the parser's limit;
* YAML: duplicate keys, keys that are not scalars, ``.nan``/``.inf``, huge integers,
  tags JSON has no value for (``!!binary``, ``!!set``, ``!!omap``, ``!!pairs``), alias
  "bombs" that expand beyond :data:`MAX_EXPANDED_NODES` and aliases that contain
  themselves; timestamps (``2024-01-01``) stay the string written, as the Kubernetes
  YAML decoder keeps them;
* depth: no document may nest deeper than :data:`MAX_DEPTH` levels.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import io
import json
import json.decoder
import json.scanner
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
import yaml.constructor

from kubesec_nb.errors import SnapshotError

#: Files larger than this are refused (override with ``max_bytes``); uncompressed size.
MAX_BYTES = 2 * 1024**3
#: A YAML document may reuse anchors, but not expand into more nodes than this.
MAX_EXPANDED_NODES = 1_000_000
#: Deepest nesting of mappings and lists in one document (Kubernetes objects rarely pass 30).
MAX_DEPTH = 200

T = TypeVar("T")


def without_gc(fn: Callable[[], T]) -> T:
    """Run ``fn`` with the cyclic garbage collector paused; what it built is promoted to the oldest generation.

    Parsing allocates hundreds of thousands of containers that live on; each allocation
    burst would otherwise trigger collections that scan them all again (3x slower), and
    the first young collection afterwards would scan every one of them once more.
    ``gc.freeze()`` then ``gc.unfreeze()`` moves every tracked object to the oldest
    generation in constant time: still collectable, no longer rescanned by young
    collections.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return fn()
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def read_bytes(path: Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """Read a file (transparently gunzipping ``.gz``), with size limits and clear errors."""
    fname = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SnapshotError(f"file is {size} bytes, over the {max_bytes}-byte limit", file=fname)
        raw = path.read_bytes()
    except SnapshotError:
        raise
    except IsADirectoryError:
        raise SnapshotError("is a directory, expected a file", file=fname) from None
    except FileNotFoundError:
        raise SnapshotError("no such file", file=fname) from None
    except OSError as exc:
        raise SnapshotError(f"cannot read: {exc.strerror or exc}", file=fname) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
                raw = gz.read(max_bytes + 1)
        except (OSError, EOFError, ValueError) as exc:
            raise SnapshotError(f"corrupt gzip data: {exc}", file=fname) from None
        if len(raw) > max_bytes:
            raise SnapshotError(f"decompressed size is over the {max_bytes}-byte limit", file=fname)
    return raw


def decode_text(raw: bytes, *, file: str) -> str:
    """UTF-8 text (a BOM is dropped), or a clear error."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"not UTF-8 text (byte {exc.start})", file=file) from None


# ---- JSON ------------------------------------------------------------------------------------

class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKeyError(k)
            seen.add(k)
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {excerpt(text)} overflows a 64-bit float")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _duplicate_line(text: str) -> int | None:
    """Line of the object holding the first duplicate key (the slow pure-Python scanner; errors only)."""
    found: list[int] = []
    decoder = json.JSONDecoder(object_pairs_hook=_pairs)

    def parse_object(s_and_end: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        try:
            return json.decoder.JSONObject(s_and_end, *args, **kwargs)  # type: ignore[attr-defined]
        except _DuplicateKeyError:
            if not found:
                found.append(s_and_end[0].count("\n", 0, s_and_end[1]) + 1)
            raise

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    with contextlib.suppress(ValueError, RecursionError):
        decoder.decode(text)
    return found[0] if found else None


def json_loads(data: bytes | str, *, file: str | None = None, obj: str | None = None) -> Any:
    """Parse JSON strictly (see the module docstring); errors name the file and line.

    >>> json_loads('{"a": 1, "a": 2}', file="x.json")
    Traceback (most recent call last):
    ...
    kubesec_nb.errors.SnapshotError: x.json: invalid JSON at line 1: duplicate key 'a'
    >>> json_loads('{"port": NaN}', file="x.json")
    Traceback (most recent call last):
    ...
    kubesec_nb.errors.SnapshotError: x.json: invalid JSON: NaN is not a JSON number
    """
    text = data if isinstance(data, str) else decode_text(data, file=file or "")
    try:
        doc = without_gc(lambda: json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant,
                                            parse_float=_float))
    except _DuplicateKeyError as exc:
        line = _duplicate_line(text)
        at = f" at line {line}" if line else ""
        raise SnapshotError(f"invalid JSON{at}: duplicate key {excerpt(exc.key)}", file=file, obj=obj) from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=file,
                            obj=obj) from None
    except RecursionError:
        raise SnapshotError("invalid JSON: nested too deeply to read", file=file, obj=obj) from None
    except ValueError as exc:  # NaN, overflowing floats, integers past the 4,300-digit limit
        msg = str(exc)
        if "integer string conversion" in msg:
            msg = "an integer has more than 4300 digits"
        raise SnapshotError(f"invalid JSON: {msg.split(';')[0]}", file=file, obj=obj) from None
    if ("\\ud" in text or "\\uD" in text) and _SURROGATE_ESCAPE.search(text):  # a cheap scan first
        check_strings(doc, file=file, obj=obj)
    return doc


def read_json(path: Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """Parse a JSON (or gzip JSON) file strictly (:func:`json_loads`)."""
    return json_loads(read_bytes(path, max_bytes=max_bytes), file=str(path))


def check_strings(doc: Any, *, file: str | None = None, obj: str | None = None) -> None:
    r"""Raise when a string (or key) of ``doc`` holds a lone UTF-16 surrogate, which UTF-8 cannot encode.

    >>> check_strings({"a": ["ok", "\ud800"]}, file="x.json")
    Traceback (most recent call last):
    ...
    kubesec_nb.errors.SnapshotError: x.json: a[1]: a lone UTF-16 surrogate (\ud800) is not text
    """
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                sub = f"{path}.{k}" if path else str(k)
                _encodable(k, sub, file, obj)
                stack.append((v, sub))
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, str):
            _encodable(node, path, file, obj)


def _encodable(s: str, path: str, file: str | None, obj: str | None) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = s[exc.start].encode("unicode_escape").decode()
        raise SnapshotError(f"a lone UTF-16 surrogate ({bad}) is not text", file=file, obj=obj,
                            field=path or None) from None


# ---- YAML ------------------------------------------------------------------------------------

try:  # the C parser is ~10x faster; fall back when PyYAML was built without libyaml
    _Base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover
    _Base = yaml.SafeLoader

_Error = yaml.constructor.ConstructorError


class StrictLoader(_Base):  # type: ignore[misc,valid-type]
    """A safe YAML loader that builds only JSON values (see the module docstring)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise _Error(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)
        merged = len(node.value) - explicit  # merge keys come first and may be overridden
        out: dict[str, Any] = {}
        explicit_keys: set[str] = set()
        for i, (key_node, value_node) in enumerate(node.value):
            key = _json_key(self.construct_object(key_node, deep=True), key_node)
            if i >= merged:
                if key in explicit_keys:
                    raise _Error("while constructing a mapping", node.start_mark, f"duplicate key {excerpt(key)}",
                                 key_node.start_mark)
                explicit_keys.add(key)
            out[key] = self.construct_object(value_node, deep=deep)
        return out

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)  # type: ignore[no-any-return]
        except ValueError:
            raise _Error(None, None, "integer too large (more than 4300 digits)", node.start_mark) from None

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = float(super().construct_yaml_float(node))
        if not math.isfinite(value):
            raise _Error(None, None, f"{excerpt(node.value)} is not a JSON number", node.start_mark)
        return value

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> str:
        # As the Kubernetes YAML decoder (go-yaml v2 into interface{}): a timestamp stays the string written.
        return str(self.construct_scalar(node))

    def _unsupported(self, node: yaml.Node) -> Any:
        raise _Error(None, None, f"the YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} has no JSON "
                     "value (Kubernetes objects hold JSON)", node.start_mark)


def _json_key(key: Any, node: yaml.Node) -> str:
    """Mapping keys as sigs.k8s.io/yaml turns them into JSON: strings, numbers and booleans as text."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return str(key)
    raise _Error(None, None, f"a mapping key must be a string, not {type_name(key)}", node.start_mark)


for _tag in ("int", "float", "timestamp"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", getattr(StrictLoader, f"construct_yaml_{_tag}"))
StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)
for _tag in ("binary", "set", "omap", "pairs"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", StrictLoader._unsupported)


_SEPARATOR = re.compile(r"^---(\s|$)")


def document_at_line(text: str, line: int) -> int:
    r"""Index of the YAML document containing 0-based ``line``.

    >>> document_at_line("a: 1\n---\nb: [\n", 2), document_at_line("---\na: 1\n---\nb: 2\n", 3)
    (1, 1)
    """
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if _SEPARATOR.match(ln)]
    leading = bool(starts) and all(not ln.strip() or ln.lstrip().startswith(("#", "%")) for ln in lines[:starts[0]])
    return max(0, sum(1 for s in starts if s <= line) - (1 if leading else 0))


def yaml_documents(text: str, *, file: str) -> Iterator[tuple[int, Any]]:
    r"""``(index, document)`` for every non-empty document of a (multi-document) YAML text.

    >>> list(yaml_documents("a: 2024-01-01\n---\n---\nb: [1]\n", file="x.yaml"))
    [(0, {'a': '2024-01-01'}), (2, {'b': [1]})]
    >>> list(yaml_documents("a: &x [*x]", file="x.yaml"))
    Traceback (most recent call last):
    ...
    kubesec_nb.errors.SnapshotError: x.yaml: document #0: a[0]: a YAML alias contains itself
    """
    loader = StrictLoader(text)
    index = 0
    try:
        while loader.check_data():
            doc = without_gc(loader.get_data)
            if doc is not None:  # empty documents between '---' separators, as Helm emits
                check_shape(doc, file=file, obj=f"document #{index}", shared=True)
                yield index, doc
            index += 1
    except yaml.YAMLError as exc:
        # The parser reads ahead, so the document at fault is found from the error's line.
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        at = f" #{document_at_line(text, mark.line)}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SnapshotError(f"invalid YAML{where}: {problem}", file=file, obj=f"document{at}") from None
    except RecursionError:
        raise SnapshotError("invalid YAML: nested too deeply to read", file=file, obj=f"document #{index}") from None
    finally:
        loader.dispose()


# ---- shape -----------------------------------------------------------------------------------

_Entry = tuple[Any, int, Any, Any, bool]


def check_shape(doc: Any, *, file: str | None = None, obj: str | None = None, shared: bool = False,
                max_depth: int = MAX_DEPTH, max_nodes: int = MAX_EXPANDED_NODES) -> int:
    """Nodes of ``doc`` once every shared container (a YAML alias) is expanded; raises past the limits.

    Iterative (a deep document cannot exhaust the stack), linear in the distinct containers,
    and safe on cycles. ``shared=False`` (JSON, which cannot share) skips the memo.

    >>> shared = [1, 2]
    >>> check_shape({"a": shared, "b": shared}, shared=True)
    7
    >>> check_shape([[[1]]], file="x.json", max_depth=2)
    Traceback (most recent call last):
    ...
    kubesec_nb.errors.SnapshotError: x.json: [0][0]: nested deeper than 2 levels
    """
    size: dict[int, int] = {}
    active: set[int] = set()
    # (node, depth, key, parent entry, done): the parent chain gives the path, built only for an error
    stack: list[_Entry] = [(doc, 1, None, None, False)]
    total = 0
    while stack:
        entry = stack.pop()
        node, depth, _, _, done = entry
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        if done:
            active.discard(id(node))
            size[id(node)] = 1 + sum(size.get(id(c), 1) for _, c in children)
            continue
        if depth > max_depth:
            raise SnapshotError(f"nested deeper than {max_depth} levels", file=file, obj=obj, field=_path(entry))
        if shared:
            active.add(id(node))
            stack.append((node, depth, None, None, True))
        else:
            total += 1 + len(children)
            if total > max_nodes:
                break
        for k, c in children:
            if not isinstance(c, dict | list):
                continue
            if shared and id(c) in active:
                raise SnapshotError("a YAML alias contains itself", file=file, obj=obj,
                                    field=_path((c, depth + 1, k, entry, False)))
            if not shared or id(c) not in size:
                stack.append((c, depth + 1, k, entry, False))
    total = size.get(id(doc), 1) if shared else total
    if total > max_nodes:
        raise SnapshotError(f"YAML aliases expand beyond {max_nodes} nodes" if shared else
                            f"more than {max_nodes} values", file=file, obj=obj)
    return total


def _path(entry: Any) -> str | None:
    keys = []
    while entry is not None and entry[3] is not None:
        keys.append(entry[2])
        entry = entry[3]
    out = ""
    for k in reversed(keys):
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out or None


# ---- messages --------------------------------------------------------------------------------

def excerpt(value: Any, limit: int = 40) -> str:
    """A short, printable quote of a (possibly huge) value for an error message.

    >>> excerpt("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (100 characters)"
    >>> excerpt({"a": 1})
    "{'a': 1}"
    """
    if isinstance(value, str):
        text = repr(value[:limit] + ("…" if len(value) > limit else ""))
        return f"{text} ({len(value)} characters)" if len(value) > limit else text
    if isinstance(value, dict | list):
        shown = repr(value) if _small(value) else f"<{type_name(value)} of {len(value)} entries>"
        return shown if len(shown) <= limit * 2 else shown[: limit * 2] + "…"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _small(value: dict[Any, Any] | list[Any]) -> bool:
    return len(value) <= 4 and all(not isinstance(v, dict | list) for v in (
        value.values() if isinstance(value, dict) else value))


def type_name(value: Any) -> str:
    """The JSON name of a Python value's type.

    >>> type_name([]), type_name({}), type_name("a"), type_name(True), type_name(None), type_name(1.5)
    ('array', 'object', 'string', 'boolean', 'null', 'number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names: dict[type, str] = {dict: "object", list: "array", str: "string"}
    return names.get(type(value), type(value).__name__)

