"""Generic helpers over API objects: keys, labels, label selectors, pod specs and containers.

These are the API machinery's own rules, shared by the loaders and every analyzer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Controller kinds that create pods, with the API group they live in.
POD_CONTROLLERS: dict[str, str] = {
    "Deployment": "apps", "ReplicaSet": "apps", "StatefulSet": "apps", "DaemonSet": "apps",
    "Job": "batch", "CronJob": "batch", "ReplicationController": "",
}
#: The resources that hold pod controllers (``resource.group`` names, as snapshots key them).
WORKLOAD_RESOURCES = ("deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps",
                      "jobs.batch", "cronjobs.batch", "replicationcontrollers")


def object_key(obj: Mapping[str, Any]) -> str:
    """``ns/name`` for namespaced objects, ``name`` for cluster-scoped ones.

    >>> object_key({"metadata": {"namespace": "shop", "name": "web"}})
    'shop/web'
    """
    meta = obj.get("metadata") or {}
    ns, name = meta.get("namespace"), meta.get("name", "")
    return f"{ns}/{name}" if ns else str(name)


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    """An object's labels ({} when it has none)."""
    return dict((obj.get("metadata") or {}).get("labels") or {})


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Evaluate a ``metav1.LabelSelector`` exactly as the API machinery does.

    A null selector matches nothing; ``{}`` matches everything; ``matchLabels`` and
    ``matchExpressions`` are ANDed; ``NotIn`` and ``DoesNotExist`` match objects that lack
    the key. An unknown operator matches nothing (the API server would have refused it).

    >>> selector_matches({}, {"app": "web"}), selector_matches(None, {"app": "web"})
    (True, False)
    >>> selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}, {})
    True
    """
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In":
            ok = present and labels[key] in values
        elif op == "NotIn":
            ok = not present or labels[key] not in values
        elif op == "Exists":
            ok = present
        elif op == "DoesNotExist":
            ok = not present
        else:
            return False
        if not ok:
            return False
    return True


def map_selector_matches(selector: Mapping[str, str] | None, labels: Mapping[str, str]) -> bool:
    """A plain ``key: value`` selector (Services, ReplicationControllers). Empty or null matches nothing.

    >>> map_selector_matches({"app": "web"}, {"app": "web", "v": "2"}), map_selector_matches({}, {"a": "b"})
    (True, False)
    """
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


def pod_specs(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pod specs inside an object: a Pod's spec, a controller's template, a CronJob's job template.

    >>> pod_specs({"kind": "Pod", "spec": {"containers": []}})
    [{'containers': []}]
    >>> len(pod_specs({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}}))
    1
    """
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    if obj.get("kind") == "Pod":
        return [spec]
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    tmpl = spec.get("template") if isinstance(spec, dict) else None
    inner = tmpl.get("spec") if isinstance(tmpl, dict) else None
    return [inner] if isinstance(inner, dict) else []


def iter_containers(pod_spec: Mapping[str, Any]) -> Iterable[tuple[str, int, Mapping[str, Any]]]:
    """``(field, index, container)`` for init, regular and ephemeral containers of a pod spec.

    >>> [(f, i, c["name"]) for f, i, c in iter_containers({"containers": [{"name": "a"}],
    ...                                                     "initContainers": [{"name": "i"}]})]
    [('initContainers', 0, 'i'), ('containers', 0, 'a')]
    """
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(pod_spec.get(field) or []):
            if isinstance(c, dict):
                yield field, i, c


#: Protocols a container, Service or NetworkPolicy port may name.
PROTOCOLS = ("TCP", "UDP", "SCTP")


def protocol_of(port: Mapping[str, object]) -> str:
    """The protocol of a port field (container, Service, EndpointSlice or policy port): TCP when unset.

    >>> protocol_of({"port": 53, "protocol": "udp"}), protocol_of({"port": 80})
    ('UDP', 'TCP')
    """
    return str(port.get("protocol") or "TCP").upper()


def named_ports(pod_spec: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    """Container port names of a pod (init and sidecar containers included) → ``(protocol, number)``.

    A Service ``targetPort`` or a NetworkPolicy port given by name resolves through this,
    per pod; the first container declaring a name wins.

    >>> named_ports({"containers": [{"ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"}]}]})
    {'dns': ('UDP', 53)}
    """
    out: dict[str, tuple[str, int]] = {}
    for _, _, c in iter_containers(pod_spec):
        for p in c.get("ports") or []:
            name, num = p.get("name"), p.get("containerPort")
            proto = protocol_of(p)
            if name and isinstance(num, int) and proto in PROTOCOLS:
                out.setdefault(str(name), (proto, num))
    return out
