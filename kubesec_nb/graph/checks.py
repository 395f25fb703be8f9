"""The ``PATH-*`` checks: attack paths from the internet to the crown jewels, and from pods to cluster-admin.

Each finding's evidence is the cheapest path, one line per step. A check that finds no path
while the graph lacks an input (RBAC or NetworkPolicies not readable) reports ``not_assessed``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from kubesec_nb.checks import Evidence, Finding, NotAssessed, check
from kubesec_nb.graph.analysis import AttackGraph
from kubesec_nb.graph.nodes import CLUSTER_ADMIN, INTERNET, SECRETS_ALL
from kubesec_nb.graph.paths import AttackPath
from kubesec_nb.identity import pod_node
from kubesec_nb.model import Model

REMEDIATION = ("Cut the path: apply the changes of the fix-these-first table (a.remediation, notebook "
               "40_attack_paths) that lie on it; each step's evidence names the binding, pod field, policy or "
               "exposure to change.")


def path_evidence(path: AttackPath) -> tuple[Evidence, ...]:
    """One evidence line per step: ``step i: a → b``, the technique, and the step's own evidence."""
    return tuple(Evidence(f"step {i}: {s.source} → {s.target}", s.technique,
                          "; ".join(str(e) for e in s.evidence[:4]) + (f" [{s.ports}]" if s.ports else ""))
                 for i, s in enumerate(path.steps, 1))


def _none_found(g: AttackGraph) -> None:
    if g.missing:
        raise NotAssessed(f"no path found, but the graph lacks input: {g.missing}")


def _internet(target: str, what: str, g: AttackGraph) -> Iterator[Finding]:
    found = g.paths(INTERNET, target, k=1)
    if not found:
        _none_found(g)
        return
    p = found[0]
    yield Finding(kind="AttackPath", name=f"internet → {p.target}", evidence=path_evidence(p),
                  message=f"the internet reaches {what} in {p.hops} steps (cost {p.cost}"
                          f"{', rests on unknown inputs' if p.certainty != 'confirmed' else ''}): "
                          + " → ".join(p.techniques))


for _id, _target, _what, _sev, _cat, _title in (
        ("PATH-INTERNET-CLUSTER-ADMIN", CLUSTER_ADMIN, "cluster-admin", "critical", "Role-Based Access Control",
         "An attack path leads from the internet to cluster-admin"),
        ("PATH-INTERNET-SECRETS", SECRETS_ALL, "every Secret of the cluster", "critical", "Kubernetes Secrets",
         "An attack path leads from the internet to every Secret of the cluster"),
        ("PATH-INTERNET-NODE", "node:*", "root on a node", "high", "Pod Security and Security Contexts",
         "An attack path leads from the internet to a node")):
    check(_id, title=_title, severity=_sev, category=_cat, remediation=REMEDIATION, analyzer="graph",
          references=("KubeHound critical paths", "IceKube attack paths"))(partial(_internet, _target, _what))


@check("PATH-INTERNET-CLOUD", title="An attack path leads from the internet to a cloud identity", severity="high",
       category="Identity and Access Management", remediation=REMEDIATION, analyzer="graph",
       references=("KubeHound critical paths",))
def _internet_cloud(g: AttackGraph) -> Iterator[Finding]:
    tree = g.cheapest_from(INTERNET, "cloud:*")
    any_found = False
    for target in sorted(tree):
        any_found = True
        p = tree[target]
        yield Finding(kind="CloudIdentity", name=target[6:], evidence=path_evidence(p),
                      message=f"the internet reaches cloud identity {target[6:]} in {p.hops} steps (cost {p.cost}"
                              f"{', rests on unknown inputs' if p.certainty != 'confirmed' else ''})")
    if not any_found:
        _none_found(g)


@check("PATH-POD-CLUSTER-ADMIN", title="A compromised pod reaches cluster-admin", severity="high",
       category="Service Account Security", remediation=REMEDIATION, analyzer="graph",
       references=("KubeHound critical paths", "IceKube attack paths"))
def _pod_cluster_admin(g: AttackGraph) -> Iterator[Finding]:
    df = g.risky_pods
    rows = df[df["cluster_admin_hops"].notna()] if not df.empty else df
    if rows.empty:
        _none_found(g)
        return
    for r in rows.sort_values(["namespace", "workload", "pod"]).to_dict("records"):
        p = g.cheapest(pod_node(str(r["pod"])), CLUSTER_ADMIN)
        if p is None:
            continue
        platform = "platform namespace" if Model.is_system_namespace(str(r["namespace"])) else None
        yield Finding(kind="Workload", namespace=str(r["namespace"]), name=str(r["workload"]),
                      evidence=path_evidence(p), platform=platform,
                      message=f"a compromise of {r['pod']} ({r['pods']} pod(s)) reaches cluster-admin in {p.hops} "
                              f"steps: " + " → ".join(p.techniques))
