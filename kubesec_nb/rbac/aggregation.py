"""ClusterRole aggregation, as the ``clusterrole-aggregation`` controller computes it.

The computation is :func:`kubesec_nb.snapshot.defaults.aggregate_rules` (shared with the
manifest loader); this module gives it the analyzer's parsed rules and keeps the sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.rbac.rules import Rule
from kubesec_nb.snapshot.defaults import aggregate_rules


@dataclass(frozen=True)
class Aggregated:
    """The result for one aggregating ClusterRole: its rules and the roles they came from."""

    rules: tuple[Rule, ...]
    sources: tuple[str, ...]


def aggregate(clusterroles: Mapping[str, Mapping[str, Any]],
              rules: Mapping[str, tuple[Rule, ...]]) -> dict[str, Aggregated]:
    """Aggregated rules of every ClusterRole that has an ``aggregationRule``.

    ``clusterroles`` maps a name to the ClusterRole object (for labels and the aggregation
    rule); ``rules`` maps a name to its current rules.

    >>> view = {"metadata": {"name": "view", "labels": {}},
    ...         "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "view"}}]}}
    >>> extra = {"metadata": {"name": "crd-view", "labels": {"agg": "view"}}}
    >>> r = Rule(verbs=("get",), api_groups=("x.io",), resources=("widgets",))
    >>> out = aggregate({"view": view, "crd-view": extra}, {"view": (), "crd-view": (r,)})
    >>> out["view"].sources, out["view"].rules == (r,)
    (('crd-view',), True)
    """
    return {name: Aggregated(tuple(r), tuple(src)) for name, (r, src) in aggregate_rules(clusterroles, rules).items()}
