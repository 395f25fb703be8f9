"""Tables describing what a snapshot holds: counts, namespaces, nodes, gaps, attachments."""

from __future__ import annotations

import pandas as pd

from kubesec_nb.model import Model, labels_of
from kubesec_nb.snapshot.document import Snapshot
from kubesec_nb.snapshot.resources import SPEC_BY_GR


def inventory_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Object count per resource, with whether it was collected or why not.

    >>> inventory_frame(Snapshot()).query("resource == 'pods'")["status"].item()
    'not in snapshot'
    """
    counts = snapshot.counts()
    rows = []
    for gr, spec in sorted(SPEC_BY_GR.items()):
        gap = snapshot.gap(gr)
        if gr in counts:
            status = "collected" if gap is None else f"partial: {gap.reason}"
        elif gap is not None:
            status = gap.reason
        else:
            status = "not served" if spec.optional else "not in snapshot"
        if spec.optional and gr not in counts and gap is None:
            continue  # add-on APIs the cluster does not have are listed by gaps_frame
        rows.append({"resource": gr, "kind": spec.kind, "namespaced": spec.namespaced,
                     "count": counts.get(gr, 0), "status": status})
    return pd.DataFrame(rows, columns=["resource", "kind", "namespaced", "count", "status"])


def gaps_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Every gap: resource, verb, namespace, reason, HTTP status, message."""
    rows = [{"resource": g.resource, "verb": g.verb, "namespace": g.namespace or "", "reason": g.reason,
             "status": g.status if g.status is not None else "", "message": g.message} for g in snapshot.gaps]
    return pd.DataFrame(rows, columns=["resource", "verb", "namespace", "reason", "status", "message"])


def namespaces_frame(model: Model) -> pd.DataFrame:
    """Per namespace: pods, service accounts, services, network policies, Pod Security enforce label."""
    names = sorted(set(model.namespaces) | {p["metadata"]["namespace"] for p in model.pods})
    counts: dict[str, dict[str, int]] = {n: {} for n in names}
    for res, col in (("pods", "pods"), ("serviceaccounts", "serviceaccounts"), ("services", "services"),
                     ("networkpolicies.networking.k8s.io", "networkpolicies"), ("secrets", "secrets")):
        for o in model.items(res):
            ns = o["metadata"].get("namespace")
            if ns in counts:
                counts[ns][col] = counts[ns].get(col, 0) + 1
    rows = []
    for n in names:
        labels = labels_of(model.namespaces.get(n, {}))
        rows.append({"namespace": n, "system": model.is_system_namespace(n),
                     **{c: counts[n].get(c, 0) for c in ("pods", "serviceaccounts", "services",
                                                          "networkpolicies", "secrets")},
                     "pss_enforce": labels.get("pod-security.kubernetes.io/enforce", "")})
    return pd.DataFrame(rows, columns=["namespace", "system", "pods", "serviceaccounts", "services",
                                       "networkpolicies", "secrets", "pss_enforce"])


def nodes_frame(model: Model) -> pd.DataFrame:
    """Per node: provider id, zone, pool, kubelet version, OS image, external IP, pod count."""
    rows = []
    for name, node in sorted(model.nodes.items()):
        labels = labels_of(node)
        status = node.get("status") or {}
        info = status.get("nodeInfo") or {}
        addrs = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
        pool = next((labels[k] for k in ("cloud.google.com/gke-nodepool", "eks.amazonaws.com/nodegroup",
                                         "kubernetes.azure.com/agentpool", "agentpool") if k in labels), "")
        rows.append({"node": name, "providerID": (node.get("spec") or {}).get("providerID", ""),
                     "zone": labels.get("topology.kubernetes.io/zone", ""), "pool": pool,
                     "kubelet": info.get("kubeletVersion", ""), "os_image": info.get("osImage", ""),
                     "runtime": info.get("containerRuntimeVersion", ""),
                     "internal_ip": addrs.get("InternalIP", ""), "external_ip": addrs.get("ExternalIP", ""),
                     "pods": len(model.pods_on(name))})
    return pd.DataFrame(rows, columns=["node", "providerID", "zone", "pool", "kubelet", "os_image", "runtime",
                                       "internal_ip", "external_ip", "pods"])


def attachments_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Attached documents: kind and source file."""
    return pd.DataFrame([{"kind": a.kind, "source": a.source} for a in snapshot.attachments],
                        columns=["kind", "source"])
