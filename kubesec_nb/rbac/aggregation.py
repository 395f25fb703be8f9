"""ClusterRole aggregation, as the ``clusterrole-aggregation`` controller computes it.

A ClusterRole with ``aggregationRule.clusterRoleSelectors`` has its ``rules`` replaced by
the rules of every other ClusterRole matching any selector (roles taken in name order, a
rule added once). Aggregated roles may feed other aggregated roles (``admin`` aggregates
``edit``, which aggregates ``view``), so the computation runs to a fixpoint, as the
controller's repeated syncs do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.model import labels_of, selector_matches
from kubesec_nb.rbac.rules import Rule


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
    selectors: dict[str, list[Mapping[str, Any]]] = {}
    for name, obj in clusterroles.items():
        agg = obj.get("aggregationRule")
        if isinstance(agg, dict):
            selectors[name] = [s for s in agg.get("clusterRoleSelectors") or [] if isinstance(s, dict)]
    labels = {n: labels_of(o) for n, o in clusterroles.items()}
    current = {n: tuple(rules.get(n, ())) for n in clusterroles}
    result: dict[str, Aggregated] = {}
    # Each pass can only lengthen chains by one; the number of aggregating roles bounds the depth.
    for _ in range(len(selectors) + 1):
        changed = False
        for name in sorted(selectors):
            new_rules: list[Rule] = []
            seen: set[Rule] = set()
            sources: list[str] = []
            for sel in selectors[name]:
                for other in sorted(clusterroles):
                    if other == name or not selector_matches(sel, labels[other]):
                        continue
                    if other not in sources:
                        sources.append(other)
                    for rule in current[other]:
                        if rule not in seen:
                            seen.add(rule)
                            new_rules.append(rule)
            agg = Aggregated(tuple(new_rules), tuple(sources))
            if result.get(name) != agg:
                changed = True
                result[name] = agg
                current[name] = agg.rules
        if not changed:
            break
    return result
