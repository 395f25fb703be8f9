"""Helpers the workload modules share: pod references with their owner, and per-workload tables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

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


def collapse(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], sort: Sequence[str]) -> pd.DataFrame:
    """Rows made per pod, merged per workload: identical rows but for ``pod`` become one row with the
    number of ``pods`` and an ``example_pod``; sorted by ``sort``. Row values must be hashable.

    >>> collapse([{"workload": "Deployment/web", "pod": "a/web-1"}, {"workload": "Deployment/web", "pod": "a/web-2"}],
    ...          ["workload"], ["workload"]).to_dict("records")
    [{'workload': 'Deployment/web', 'pods': 2, 'example_pod': 'a/web-1'}]
    """
    merged: dict[tuple[Any, ...], list[Any]] = {}
    get = itemgetter(*columns)
    for r in rows:
        k = get(r)
        entry = merged.get(k)
        if entry is None:
            merged[k] = [r, 1, r.get("pod", "")]
        else:
            entry[1] += 1
            entry[2] = min(entry[2], r.get("pod", ""))
    records = [{**{c: entry[0].get(c) for c in columns}, "pods": entry[1], "example_pod": entry[2]}
               for entry in merged.values()]
    df = pd.DataFrame(records, columns=[*columns, "pods", "example_pod"])
    if df.empty:
        return df
    return df.sort_values(list(sort), kind="stable").reset_index(drop=True)


def containers(spec: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(field path, container)`` of init, regular and ephemeral containers (see :func:`iter_containers`).

    >>> containers({"containers": [{"name": "a"}], "initContainers": [{"name": "i"}]})
    [('spec.initContainers[0]', {'name': 'i'}), ('spec.containers[0]', {'name': 'a'})]
    """
    return [(f"spec.{field}[{i}]", c) for field, i, c in iter_containers(spec)]
