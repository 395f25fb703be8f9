"""The RBAC objects of a snapshot as plain records: roles (aggregation applied) and bindings.

A binding's role reference is resolved the way the authorizer resolves it: a RoleBinding
names a Role of its own namespace or a ClusterRole; a ClusterRoleBinding names a
ClusterRole (a ``Role`` reference there resolves to nothing). A reference to a role that
does not exist grants nothing and is recorded in :attr:`RbacObjects.dangling`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kubesec_nb.errors import OptionError
from kubesec_nb.model import Model, labels_of
from kubesec_nb.rbac.aggregation import aggregate
from kubesec_nb.rbac.rules import Rule
from kubesec_nb.rbac.subjects import Identity, binding_subject, describe_binding_subject, platform_reason

ROLES = "roles.rbac.authorization.k8s.io"
CLUSTERROLES = "clusterroles.rbac.authorization.k8s.io"
ROLEBINDINGS = "rolebindings.rbac.authorization.k8s.io"
CLUSTERROLEBINDINGS = "clusterrolebindings.rbac.authorization.k8s.io"
RBAC_RESOURCES = (CLUSTERROLES, CLUSTERROLEBINDINGS, ROLES, ROLEBINDINGS)

AGGREGATION_MODES = ("auto", "recompute", "stored")


def aggregation_mode(value: Any) -> str:
    """``value`` when it is one of :data:`AGGREGATION_MODES` (the ``rbac_aggregation`` option), else an error.

    >>> aggregation_mode("stored")
    'stored'
    """
    if value not in AGGREGATION_MODES:
        raise OptionError(f"rbac_aggregation must be one of {', '.join(AGGREGATION_MODES)}, got {value!r}")
    return str(value)


@dataclass(frozen=True)
class RoleRecord:
    """A Role or ClusterRole with the rules the authorizer uses.

    ``aggregation`` is ``""`` (no aggregationRule), ``"computed"`` (rules computed from
    the selectors) or ``"stored"`` (already aggregated by the cluster's controller).
    """

    kind: str
    namespace: str
    name: str
    rules: tuple[Rule, ...]
    platform: str | None = None
    aggregation: str = ""
    aggregated_from: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """``ClusterRole/name`` or ``Role/ns/name``."""
        return f"ClusterRole/{self.name}" if self.kind == "ClusterRole" else f"Role/{self.namespace}/{self.name}"


@dataclass(frozen=True)
class SubjectRef:
    """One subject of a binding: as written, its index, and the identity it matches (None: nobody)."""

    index: int
    written: str
    identity: Identity | None

    @property
    def key(self) -> str | None:
        """The principal key it matches, or None."""
        return self.identity.key if self.identity is not None else None


@dataclass(frozen=True)
class BindingRecord:
    """A RoleBinding or ClusterRoleBinding."""

    kind: str
    namespace: str
    name: str
    role_kind: str
    role_name: str
    subjects: tuple[SubjectRef, ...]
    platform: str | None = None

    @property
    def ref(self) -> str:
        """``ClusterRoleBinding/name`` or ``RoleBinding/ns/name``."""
        return f"{self.kind}/{self.name}" if self.kind == "ClusterRoleBinding" else \
            f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def scope(self) -> str:
        """``cluster`` for ClusterRoleBindings, else the namespace."""
        return "cluster" if self.kind == "ClusterRoleBinding" else self.namespace

    @property
    def role_ref(self) -> str:
        """The referenced role as ``Kind/name`` (``Role/ns/name`` for a Role)."""
        if self.role_kind == "Role":
            return f"Role/{self.namespace}/{self.role_name}" if self.namespace else f"Role/{self.role_name}"
        return f"{self.role_kind}/{self.role_name}"


def _rules_of(obj: Mapping[str, Any]) -> tuple[Rule, ...]:
    return tuple(Rule.from_dict(r) for r in obj.get("rules") or [] if isinstance(r, dict))


class RbacObjects:
    """Roles and bindings of a model, indexed.

    ``aggregation``: ``auto`` computes aggregated ClusterRoles whose stored rules are empty
    (manifests) and trusts stored rules otherwise (live objects are already aggregated),
    except for snapshots made from manifests, where it always recomputes; ``recompute``
    always computes; ``stored`` never does.
    """

    def __init__(self, model: Model, *, aggregation: str = "auto") -> None:
        self.model = model
        self.aggregation = aggregation_mode(aggregation)

    @cached_property
    def missing(self) -> str | None:
        """Why the RBAC objects are incomplete (a gap, or never collected), else None."""
        return self.model.missing(*RBAC_RESOURCES)

    @cached_property
    def clusterroles(self) -> dict[str, RoleRecord]:
        """ClusterRoles by name, with aggregation applied."""
        objs = {o["metadata"]["name"]: o for o in self.model.items(CLUSTERROLES)}
        stored = {n: _rules_of(o) for n, o in objs.items()}
        recompute = self.aggregation == "recompute" or (
            self.aggregation == "auto" and str(self.model.snapshot.metadata.get("source", "")) == "manifests")
        computed = aggregate(objs, stored) if self.aggregation != "stored" else {}
        out: dict[str, RoleRecord] = {}
        for name, obj in sorted(objs.items()):
            rules, mode, sources = stored[name], "", tuple[str, ...]()
            if isinstance(obj.get("aggregationRule"), dict):
                agg = computed.get(name)
                if agg is not None and (recompute or not rules):
                    rules, mode, sources = agg.rules, "computed", agg.sources
                else:
                    mode = "stored"
            out[name] = RoleRecord("ClusterRole", "", name, rules, platform_reason(name, labels_of(obj)),
                                   mode, sources)
        return out

    @cached_property
    def roles(self) -> dict[tuple[str, str], RoleRecord]:
        """Roles by ``(namespace, name)``."""
        out: dict[tuple[str, str], RoleRecord] = {}
        for o in self.model.items(ROLES):
            meta = o["metadata"]
            ns, name = meta["namespace"], meta["name"]
            out[(ns, name)] = RoleRecord("Role", ns, name, _rules_of(o), platform_reason(name, labels_of(o)))
        return dict(sorted(out.items()))

    @cached_property
    def bindings(self) -> list[BindingRecord]:
        """ClusterRoleBindings then RoleBindings, each sorted by namespace and name."""
        out: list[BindingRecord] = []
        for resource, kind in ((CLUSTERROLEBINDINGS, "ClusterRoleBinding"), (ROLEBINDINGS, "RoleBinding")):
            for o in self.model.items(resource):
                meta = o["metadata"]
                ns = (meta.get("namespace") or "") if kind == "RoleBinding" else ""
                ref = o.get("roleRef") or {}
                subjects = tuple(
                    SubjectRef(i, describe_binding_subject(s, ns or None), binding_subject(s, ns or None))
                    for i, s in enumerate(o.get("subjects") or []) if isinstance(s, dict))
                out.append(BindingRecord(kind, ns, meta["name"], str(ref.get("kind", "")),
                                         str(ref.get("name", "")), subjects,
                                         platform_reason(meta["name"], labels_of(o))))
        out.sort(key=lambda b: (b.kind != "ClusterRoleBinding", b.namespace, b.name))
        return out

    def role_of(self, binding: BindingRecord) -> RoleRecord | None:
        """The role a binding grants, resolved as the authorizer does; None when it does not exist."""
        if binding.role_kind == "ClusterRole":
            return self.clusterroles.get(binding.role_name)
        if binding.role_kind == "Role" and binding.kind == "RoleBinding":
            return self.roles.get((binding.namespace, binding.role_name))
        return None

    @cached_property
    def dangling(self) -> list[BindingRecord]:
        """Bindings whose role does not exist (they grant nothing until someone creates it)."""
        return [b for b in self.bindings if self.role_of(b) is None]
