"""Helpers the workload modules share: pod references with their owner, and per-workload records.

Analyses produce frozen dataclass records (typed, read by the checks); the tables of
``a.workloads`` are built from them with :func:`frame`. Records made per pod are merged per
workload with :func:`collapse`: the record types end with ``pods`` (how many pods) and
``example_pod`` (the first pod, sorted).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields, replace
from typing import Any, NamedTuple, Protocol, TypeVar

import pandas as pd

from kubesec_nb.model import Model, iter_containers, object_key
from kubesec_nb.snapshot.redact import REDACTED_PREFIX, SECRET_VALUE


class PodRef(NamedTuple):
    """A pod with the keys every table needs."""

    key: str  # ns/name
    namespace: str
    name: str
    owner: str  # Kind/name of the top controller, Pod/name for bare pods
    pod: Mapping[str, Any]


def pod_refs(model: Model) -> list[PodRef]:
    """Every pod of the model with its top-level owner, sorted by ``ns/name``."""
    out = []
    for p in model.pods:
        meta = p["metadata"]  # a model's pods are namespaced and named
        out.append(PodRef(object_key(p), meta["namespace"], meta["name"], model.owner_label(p), p))
    return out


_MARKER = re.compile(re.escape(REDACTED_PREFIX) + r"([A-Za-z0-9_.\-]+)>")


def detectors(value: Any) -> list[str]:
    """The credential detectors named by redaction markers in a value (Secret markers excluded).

    >>> detectors("--password=<redacted:key-name>"), detectors("<redacted:secret>"), detectors("plain")
    (['key-name'], [], [])
    """
    if not isinstance(value, str) or REDACTED_PREFIX not in value or value == SECRET_VALUE:
        return []
    return [d for d in _MARKER.findall(value) if d not in ("secret", "binary")]


class PerWorkload(Protocol):
    """A record merged per workload (a frozen dataclass ending with these fields)."""

    @property
    def pods(self) -> int: ...

    @property
    def example_pod(self) -> str: ...


R = TypeVar("R", bound=PerWorkload)


def collapse(items: Iterable[tuple[R, str]], sort: Callable[[R], Any]) -> list[R]:
    """``(record, pod key)`` pairs made per pod, merged per workload: equal records become one with the
    number of ``pods`` and the first ``example_pod``; sorted by ``sort``. Records come without the two
    fields (their defaults), so that they compare equal.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Use:
    ...     workload: str
    ...     pods: int = 0
    ...     example_pod: str = ""
    >>> collapse([(Use("Deployment/web"), "a/web-2"), (Use("Deployment/web"), "a/web-1")], lambda r: r.workload)
    [Use(workload='Deployment/web', pods=2, example_pod='a/web-1')]
    """
    merged: dict[R, list[Any]] = {}
    for rec, pod in items:
        entry = merged.get(rec)
        if entry is None:
            merged[rec] = [1, pod]
        else:
            entry[0] += 1
            entry[1] = min(entry[1], pod)
    out = [replace(rec, pods=n, example_pod=pod) for rec, (n, pod) in merged.items()]  # type: ignore[type-var]
    return sorted(out, key=sort)


def frame(records: Sequence[Any], cls: type[Any]) -> pd.DataFrame:
    """A table of dataclass ``records``, one column per field of ``cls``, in order."""
    names = [f.name for f in fields(cls)]
    return pd.DataFrame([tuple(getattr(r, n) for n in names) for r in records], columns=names)


def containers(spec: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(field path, container)`` of init, regular and ephemeral containers (see :func:`iter_containers`).

    >>> containers({"containers": [{"name": "a"}], "initContainers": [{"name": "i"}]})
    [('spec.initContainers[0]', {'name': 'i'}), ('spec.containers[0]', {'name': 'a'})]
    """
    return [(f"spec.{field}[{i}]", c) for field, i, c in iter_containers(spec)]
