"""``RbacAnalysis``: what ``a.rbac`` gives — the authorizer, tables, escalation steps, risky subjects.

Everything is computed lazily on first use and cached; tables are sorted DataFrames. When
the snapshot lacks RBAC objects, :attr:`RbacAnalysis.missing` says why, every table carries
the reason in ``df.attrs["missing"]``, and decisions are marked not assessed.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import pandas as pd

from kubesec_nb.checks import SEVERITY_RANK
from kubesec_nb.identity import hub_namespace
from kubesec_nb.model import Model
from kubesec_nb.rbac.authorizer import Authorizer, Decision, Reason
from kubesec_nb.rbac.catalog import CATALOG_BY_ID
from kubesec_nb.rbac.cloud import CloudLink, CloudMapping, cloud_mappings, eks_auth_mode, service_account_links
from kubesec_nb.rbac.escalation import CLUSTER_ADMIN, SECRETS_ALL, Escalation, Reachability, Step
from kubesec_nb.rbac.objects import RbacObjects
from kubesec_nb.rbac.options import Options
from kubesec_nb.rbac.permissions import (
    PERMISSION_COLUMNS,
    WhoCanIndex,
    grant_frame,
    membership_frame,
    permissions_frame,
    who_can_frame,
)
from kubesec_nb.rbac.principals import Principal, Principals
from kubesec_nb.rbac.ranking import rank_subjects
from kubesec_nb.rbac.records import EscalationPath, RiskyGrant
from kubesec_nb.rbac.rules import Request
from kubesec_nb.rbac.subjects import MASTERS, NODE_PREFIX, from_node_id, group, parse_subject, user

RISKY_COLUMNS = ["subject", "subject_kind", "check_id", "title", "severity", "scope", "platform", "public",
                 "needs", "bindings", "evidence"]


def _hub(node: str) -> bool:
    return hub_namespace(node) is not None


def _with_missing(df: pd.DataFrame, missing: str | None) -> pd.DataFrame:
    if missing:
        df.attrs["missing"] = missing
    return df


class RbacAnalysis:
    """RBAC analysis of one model. Build with :func:`kubesec_nb.rbac.analyze`.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> rbac = "rbac.authorization.k8s.io"
    >>> snap = Snapshot.from_objects([
    ...     {"apiVersion": f"{rbac}/v1", "kind": "ClusterRole", "metadata": {"name": "secrets"},
    ...      "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]},
    ...     {"apiVersion": f"{rbac}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "oncall"},
    ...      "roleRef": {"apiGroup": rbac, "kind": "ClusterRole", "name": "secrets"},
    ...      "subjects": [{"kind": "Group", "name": "oncall"}]}])
    >>> rb = RbacAnalysis(Model(snap), Options.parse({"idp_groups": {"alice": ["oncall"]}}))
    >>> rb.who_can("list", "secrets", "shop")[["subject", "via"]].values.tolist()[:2]
    [['Group:oncall', 'Group:oncall'], ['Group:system:masters', 'Group:system:masters']]
    >>> rb.permissions.query("subject == 'User:alice'")[["scope", "verb", "resource", "via"]].values.tolist()
    [['cluster', 'list', 'secrets', 'Group:oncall']]
    >>> [str(s) for s in rb.steps if s.source == "group:oncall"]
    ['group:oncall --rbac-grant--> secrets:*']
    """

    def __init__(self, model: Model, options: Options | None = None) -> None:
        self.model = model
        self.options = options or Options()
        self._path_memo: dict[str, dict[str, list[Step]]] = {}

    # ---- building blocks -----------------------------------------------------------------------
    @cached_property
    def objects(self) -> RbacObjects:
        """Roles (aggregation applied) and bindings."""
        return RbacObjects(self.model, aggregation=self.options.rbac_aggregation)

    @cached_property
    def authorizer(self) -> Authorizer:
        return Authorizer(self.objects)

    @property
    def missing(self) -> str | None:
        """Why RBAC objects are incomplete, or None when all four kinds were read."""
        return self.objects.missing

    @cached_property
    def eks_auth_mode(self) -> str:
        return eks_auth_mode(self.model, self.options.eks_auth_mode)

    @cached_property
    def cloud_links(self) -> list[CloudLink]:
        """Service accounts linked to cloud identities."""
        return service_account_links(self.model)

    @cached_property
    def cloud_mappings(self) -> list[CloudMapping]:
        """Cloud principals mapped to Kubernetes users and groups (aws-auth, EKS access entries)."""
        return cloud_mappings(self.model, self.eks_auth_mode)

    @cached_property
    def principals(self) -> Principals:
        return Principals(self.model, self.authorizer, self.options, self.cloud_mappings)

    @cached_property
    def escalation(self) -> Escalation:
        return Escalation(self.principals, self.cloud_links, namespace_admin_mode=self.options.rbac_namespace_admin,
                          csr_mints_masters=self.options.csr_signer_mints_masters,
                          aws_auth_honoured=self.eks_auth_mode != "API")

    @property
    def exec_via_get(self) -> bool:
        return self.principals.exec_via_get

    @property
    def public_groups(self) -> frozenset[str]:
        """Groups anyone reaching the API server belongs to (anonymous; GKE: any Google account)."""
        return self.principals.public_groups

    # ---- subjects ----------------------------------------------------------------------------
    def principal(self, subject: Any) -> Principal:
        """The principal of a subject string, with all its groups (also for subjects no binding names)."""
        ident = parse_subject(subject)
        known = self.principals.principals.get(ident.subject)
        return known if known is not None else self.principals.principal_of(ident, None)

    def subject_kind(self, subject: str) -> str:
        """``User``, ``Group``, ``ServiceAccount``, or ``CloudIdentity`` for a cloud principal's node id."""
        if subject.startswith("cloud:"):
            return "CloudIdentity"
        return self.principal(subject).identity.kind

    def groups_of(self, subject: Any) -> tuple[str, ...]:
        """Every group the subject authenticates with (implicit, identity provider, cloud mappings).

        >>> from kubesec_nb.snapshot import Snapshot
        >>> RbacAnalysis(Model(Snapshot())).groups_of("ServiceAccount:shop:web")
        ('system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated')
        """
        return self.principal(subject).groups

    # ---- the authorizer ------------------------------------------------------------------------
    def can(self, subject: Any, verb: str, resource: str, namespace: str | None = None,
            name: str | None = None) -> Decision:
        """Whether ``subject`` may ``verb`` ``resource`` (in ``namespace``, named ``name``).

        Subjects: ``User:alice``, ``Group:oncall``, ``ServiceAccount:ns:name`` or the username
        ``system:serviceaccount:ns:name``. Resources: ``pods``, ``deployments.apps``,
        ``pods/exec``, ``*``, or a non-resource path such as ``/healthz``.

        >>> from kubesec_nb.snapshot import Snapshot
        >>> snap = Snapshot.from_objects([
        ...     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        ...      "metadata": {"name": "reader", "namespace": "shop"},
        ...      "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        ...     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        ...      "metadata": {"name": "r", "namespace": "shop"},
        ...      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        ...      "subjects": [{"kind": "ServiceAccount", "name": "web"}]}])
        >>> rb = RbacAnalysis(Model(snap))
        >>> web, other = "ServiceAccount:shop:web", "User:x"
        >>> bool(rb.can(web, "get", "pods", "shop")), bool(rb.can(other, "get", "pods", "shop"))
        (True, False)
        >>> rb.can("ServiceAccount:shop:web", "get", "pods", "shop").why[0]
        'RoleBinding/shop/r (subject ServiceAccount:shop:web) grants Role/shop/reader rules[0]: get pods'
        """
        p = self.principal(subject)
        req = Request.for_query(verb, resource, namespace, name)
        notes: list[str] = []
        if req.is_resource_request and "." not in resource.split("/", 1)[0] and req.api_group not in ("", "*"):
            notes.append(f"'{resource.split('/', 1)[0]}' read as group '{req.api_group}' (write "
                         f"'{req.resource}.<group>' for another group)")
        if namespace and req.is_resource_request and req.namespace is None:
            notes.append(f"{req.resource} is cluster-scoped: namespace {namespace!r} ignored "
                         "(RoleBindings never grant it)")
        if req.subresource in ("exec", "attach", "portforward") and req.resource == "pods" and req.verb == "create" \
                and self.exec_via_get:
            notes.append("before Kubernetes 1.35 'get' on this subresource is also enough (WebSocket); "
                         f"ask can(..., 'get', 'pods/{req.subresource}', ...) too")
        if p.identity.kind == "User" and p.identity.name.startswith(NODE_PREFIX):
            notes.append("nodes are also authorized by the Node authorizer (not modelled here)")
        return self.authorizer.authorize(p.subject, p.identity.username, p.groups, req, tuple(notes))

    @cached_property
    def _who_index(self) -> WhoCanIndex:
        return WhoCanIndex(self.authorizer)

    @cached_property
    def _subject_kinds(self) -> dict[str, str]:
        return {s: p.identity.kind for s, p in self.principals.principals.items()}

    @cached_property
    def _subject_of_key(self) -> dict[str, str]:
        return {p.own_key: s for s, p in self.principals.principals.items()}

    @cached_property
    def _masters(self) -> list[str]:
        return sorted(s for s, p in self.principals.principals.items() if MASTERS in p.groups)

    def who_can(self, verb: str, resource: str, namespace: str | None = None, name: str | None = None, *,
                expand_groups: bool = True) -> pd.DataFrame:
        """Every subject allowed to ``verb`` ``resource`` (in ``namespace``, named ``name``), with how.

        One row per (subject, rule): ``via`` is the binding subject that matched (the subject
        itself or one of its groups); group members are listed unless ``expand_groups`` is
        False. Members of ``system:masters`` are always allowed. ``namespace=None`` asks about
        the cluster-wide request (ClusterRoleBindings only).
        """
        req = Request.for_query(verb, resource, namespace, name)
        members = self.principals.members if expand_groups else {}
        df = who_can_frame(self._who_index.matching(req), members, self._subject_kinds, self._subject_of_key,
                           self._masters if expand_groups else [group(MASTERS).subject])
        df.attrs["request"] = str(req)
        return _with_missing(df, self.missing)

    # ---- effective permissions -----------------------------------------------------------------
    @cached_property
    def grants(self) -> pd.DataFrame:
        """Binding-subject level grants: one row per (key, scope, verb, apiGroup, resource)."""
        return grant_frame(self.authorizer)

    @cached_property
    def permissions(self) -> pd.DataFrame:
        """Effective permissions of every known subject, implicit group membership expanded.

        Columns: subject, subject_kind, scope (``cluster`` or a namespace), verb, apiGroup,
        resource (a path for non-resource URLs), resourceNames, binding, role, rule_index,
        via (the binding subject that matched: the subject itself or a group), platform (why
        the binding is platform-managed, else empty).
        """
        keys = set(self.grants["key"].cat.categories)
        pairs: list[tuple[str, str, str]] = []
        for s, p in self.principals.principals.items():
            # a Group principal's own key is its one group's key: dict.fromkeys counts it once
            own = dict.fromkeys([p.own_key, *(group(g).key for g in p.groups)])
            pairs.extend((s, p.identity.kind, k) for k in own if k in keys)
        masters = [(s, self._subject_kinds[s]) for s in self._masters]
        df = permissions_frame(self.grants, membership_frame(pairs), masters)
        return _with_missing(df if not df.empty else pd.DataFrame(columns=PERMISSION_COLUMNS), self.missing)

    # ---- risky permissions -----------------------------------------------------------------------
    @cached_property
    def _platform_bindings(self) -> dict[str, str | None]:
        return {b.ref: b.platform for b in self.objects.bindings}

    def platform_of(self, reasons: tuple[Reason, ...]) -> str | None:
        """A platform label when every binding behind ``reasons`` is platform-managed."""
        labels = [self._platform_bindings.get(r.binding) for r in reasons]
        return sorted({str(x) for x in labels})[0] if labels and all(labels) else None

    @cached_property
    def risky_grants(self) -> list[RiskyGrant]:
        """Catalog matches per subject and scope (a match a group meets alone is the group's), most severe first."""
        out: list[RiskyGrant] = []
        public = self.public_groups
        for p in self.principals.principals.values():
            for (rid, scope), (needs, reasons) in sorted(self.principals.own_matches(p).items()):
                rule = CATALOG_BY_ID[rid]
                base = rule.cluster_severity if scope == "cluster" and rule.cluster_severity else rule.severity
                plat = self.platform_of(reasons)
                is_public = p.identity.kind == "Group" and p.identity.name in public
                if is_public and not plat:
                    base = "critical"
                out.append(RiskyGrant(p.identity, rule, base, scope, plat, is_public, needs, reasons))
        return sorted(out, key=lambda r: (SEVERITY_RANK[r.severity], r.check_id, r.subject, r.scope))

    @cached_property
    def risky_by_rule(self) -> dict[str, list[RiskyGrant]]:
        """:attr:`risky_grants` by catalog rule id."""
        out: dict[str, list[RiskyGrant]] = {}
        for r in self.risky_grants:
            out.setdefault(r.check_id, []).append(r)
        return out

    @cached_property
    def risky(self) -> pd.DataFrame:
        """:attr:`risky_grants` as a table (evidence as text)."""
        rows = [(r.subject, r.subject_kind, r.check_id, r.rule.title, r.severity, r.scope, r.platform or "", r.public,
                 r.needs_text, ", ".join(r.bindings), "; ".join(str(e) for e in r.evidence))
                for r in self.risky_grants]
        return _with_missing(pd.DataFrame(rows, columns=RISKY_COLUMNS), self.missing)

    # ---- escalation ------------------------------------------------------------------------------
    @property
    def steps(self) -> list[Step]:
        """Every escalation step (attack-graph edges), sorted."""
        return self.escalation.steps

    @cached_property
    def steps_frame(self) -> pd.DataFrame:
        """The steps as a table: source, technique, target, scope, evidence (text)."""
        rows = [{"source": s.source, "technique": s.technique, "target": s.target, "scope": s.scope,
                 "evidence": "; ".join(str(e) for e in s.evidence)} for s in self.steps]
        return _with_missing(pd.DataFrame(rows, columns=["source", "technique", "target", "scope", "evidence"]),
                             self.missing)

    @cached_property
    def _node_subject(self) -> dict[str, str]:
        return {p.identity.node_id: s for s, p in self.principals.principals.items()}

    @cached_property
    def platform_nodes(self) -> frozenset[str]:
        """Node ids of platform-managed principals (Kubernetes controllers, provider components)."""
        return frozenset(p.identity.node_id for p in self.principals.principals.values() if p.platform)

    @cached_property
    def _reach(self) -> Reachability:
        return Reachability(self.steps)

    def reach(self, subject: Any) -> pd.DataFrame:
        """What one subject reaches (cluster-admin, namespace admin, ``secrets:*``, cloud identities), and how.

        Unlike :attr:`escalations`, paths may start with the groups the subject is in.
        Accepts subject strings or node ids (``sa:ns/name``, ``cloud:aws:<arn>``).
        """
        node = subject if isinstance(subject, str) and (subject.startswith("cloud:") or from_node_id(subject)) \
            else self.principal(subject).identity.node_id
        targets = [CLUSTER_ADMIN, SECRETS_ALL,
                   *sorted({s.target for s in self.steps if s.target.startswith(("namespace-admin:", "cloud:"))})]
        rows = []
        for target in targets:
            path = self._paths_to(target).get(node)
            if path:
                rows.append({"target": target, "hops": len(path),
                             "path": " → ".join([node, *(f"[{s.technique}] {s.target}" for s in path)]),
                             "steps": tuple(path)})
        return pd.DataFrame(rows, columns=["target", "hops", "path", "steps"])

    def _paths_to(self, target: str) -> dict[str, list[Step]]:
        memo = self._path_memo.get(target)
        if memo is None:
            memo = self._path_memo[target] = self._reach.paths_to(target)
        return memo

    @cached_property
    def escalation_paths(self) -> list[EscalationPath]:
        """Who reaches cluster-admin or namespace-admin of a namespace, and by which shortest path, sorted
        by target (cluster-admin first), direct holdings first, hops and subject.

        A subject that reaches a target only through a group it belongs to is left to the group.
        Namespace-admin paths are omitted for subjects that reach cluster-admin (it implies every
        namespace), and hub nodes are no subjects.
        """
        reach = self._reach
        out: list[EscalationPath] = []
        top = reach.own_paths_to(CLUSTER_ADMIN)
        for node, path in top.items():
            if not _hub(node):
                out.append(self._escalation_path(node, CLUSTER_ADMIN, path))
        for target in sorted({s.target for s in self.steps if s.target.startswith("namespace-admin:")}):
            for node, path in reach.own_paths_to(target).items():
                if node not in top and not _hub(node):
                    out.append(self._escalation_path(node, target, path))
        return sorted(out, key=lambda e: (not e.to_cluster_admin, e.target, e.direct, e.hops, e.subject))

    def _escalation_path(self, node: str, target: str, path: list[Step]) -> EscalationPath:
        subject = self._node_subject.get(node, node)
        p = self.principals.principals.get(subject)
        # platform-managed: a platform subject whose first step comes from platform-managed bindings only
        first = [self._platform_bindings[e.object] for e in path[0].evidence if e.object in self._platform_bindings]
        platform = p.platform if p and all(first) else None
        return EscalationPath(subject, node, target, tuple(path), platform)

    @cached_property
    def escalations(self) -> pd.DataFrame:
        """:attr:`escalation_paths` as a table (``steps`` holds the :class:`Step` records)."""
        rows = [(e.subject, e.node, e.target, e.hops, e.direct, e.techniques, e.path, e.platform or "", e.steps)
                for e in self.escalation_paths]
        cols = ["subject", "node", "target", "hops", "direct", "techniques", "path", "platform", "steps"]
        return _with_missing(pd.DataFrame(rows, columns=cols), self.missing)

    # ---- cloud identities --------------------------------------------------------------------------
    @cached_property
    def cloud_identities(self) -> pd.DataFrame:
        """Both directions: service account → cloud identity, and cloud principal → Kubernetes user/groups."""
        rows: list[dict[str, Any]] = []
        for link in self.cloud_links:
            rows.append({"direction": "k8s→cloud", "kubernetes": link.identity.subject, "cloud": link.cloud,
                         "mechanism": link.mechanism, "groups": "", "policies": "", "active": link.active,
                         "honoured": True, "evidence": "; ".join(str(e) for e in link.evidence)})
        for m in self.cloud_mappings:
            rows.append({"direction": "cloud→k8s", "kubernetes": user(m.username).subject, "cloud": m.cloud,
                         "mechanism": m.source, "groups": ", ".join(m.groups),
                         "policies": ", ".join(f"{p} ({s})" for p, s in m.policies), "active": True,
                         "honoured": m.honoured, "evidence": "; ".join(str(e) for e in m.evidence)})
        cols = ["direction", "kubernetes", "cloud", "mechanism", "groups", "policies", "active", "honoured",
                "evidence"]
        df = pd.DataFrame(rows, columns=cols)
        return df.sort_values(["direction", "kubernetes", "cloud"], kind="stable").reset_index(drop=True)

    # ---- risky subjects ----------------------------------------------------------------------------
    @cached_property
    def risky_subjects(self) -> pd.DataFrame:
        """Subjects ranked by the severity and breadth of what they hold and reach (see :mod:`.ranking`)."""
        df = rank_subjects(self.risky_grants, self.escalation_paths, self.subject_kind, self.public_groups)
        return _with_missing(df, self.missing)

    # ---- notebook views ----------------------------------------------------------------------------
    def facts(self) -> pd.DataFrame:
        """Key facts for a notebook header: object counts, options in force, what is missing."""
        esc = self.escalations
        rows = [("Roles / ClusterRoles", f"{len(self.objects.roles)} / {len(self.objects.clusterroles)}"),
                ("bindings (to missing roles)", f"{len(self.objects.bindings)} ({len(self.objects.dangling)})"),
                ("aggregated ClusterRoles computed", str(sum(r.aggregation == "computed"
                                                              for r in self.objects.clusterroles.values()))),
                ("subjects known", str(len(self.principals.principals))),
                ("escalation steps", str(len(self.steps))),
                ("subjects reaching cluster-admin (not platform)",
                 str(int(((esc["target"] == CLUSTER_ADMIN) & (esc["platform"] == "")).sum()))),
                ("'get' runs exec/attach (before 1.35)", str(self.exec_via_get)),
                ("public groups", ", ".join(sorted(self.public_groups)) or "none"),
                ("EKS authentication mode", self.eks_auth_mode if self.model.provider == "eks" else "n/a"),
                ("cloud identity links", str(len(self.cloud_identities))),
                ("missing RBAC input", self.missing or "none")]
        return pd.DataFrame(rows, columns=["fact", "value"])

    def holders(self, include_platform: bool = False) -> pd.DataFrame:
        """Who holds each risky permission (``risky`` without evidence objects), most severe first."""
        df = self.risky if include_platform else self.risky[self.risky["platform"] == ""]
        return df[["severity", "check_id", "subject", "scope", "needs", "bindings", "platform"]].reset_index(drop=True)

    def escalation_routes(self, include_platform: bool = False) -> pd.DataFrame:
        """Escalation paths that are not plain holdings: subject, target, hops and the path."""
        e = self.escalations
        e = e[~e["direct"]]
        if not include_platform:
            e = e[e["platform"] == ""]
        return e[["subject", "target", "hops", "techniques", "path", "platform"]].reset_index(drop=True)

    def platform_managed(self) -> pd.DataFrame:
        """Platform-managed grants that match the catalog: labelled, counted per subject and label."""
        df = self.risky[self.risky["platform"] != ""]
        if df.empty:
            return pd.DataFrame(columns=["platform", "subject", "checks"])
        g = df.groupby(["platform", "subject"], sort=True)["check_id"]
        return g.agg(lambda c: ", ".join(sorted(set(c)))).reset_index().rename(columns={"check_id": "checks"})


__all__ = ["RbacAnalysis"]
