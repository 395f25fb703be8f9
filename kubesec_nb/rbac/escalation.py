"""Escalation analysis: single steps from one identity or privilege to another, as data.

A :class:`Step` is one edge for the attack graph: a source node (``sa:ns/name``, ``user:name``,
``group:name``, ``cloud:...``), a technique, a target node (an identity, ``cluster-admin``,
``namespace-admin:<ns>``, ``secrets:*``, ``secret:<ns>/<name>``, ``cloud:...``) and the
evidence (binding, role, rule, object) behind it. Techniques:

==========================  ===================================================================
``rbac-grant``              holds the privilege through its bindings
``member-of``               authenticates with that group (implicit, identity provider, cloud)
``system-masters``          the hard-wired superuser group
``impersonate``             impersonate users / groups / service accounts (resourceNames limit)
``rbac-bind``               create or update a binding + ``bind`` on a role → what the role grants
``rbac-escalate``           ``escalate`` + update of a role bound to the subject → anything
``pod-create``              create pods or pod controllers → run as any service account there
``pod-exec``                exec / attach / ephemeral containers into pods → their service account
``nodes-proxy``             any verb on nodes/proxy → exec into every pod on those nodes
``token-request``           create serviceaccounts/token → that service account
``legacy-token-read``       read a ``kubernetes.io/service-account-token`` Secret that exists
``token-secret-create``     create such a Secret (the controller fills it) and read or mount it
``csr-sign``                create + approve a kube-apiserver-client CSR → any group
``aws-auth-write``          write ``kube-system/aws-auth`` → map oneself to system:masters
``any-namespace``           hub ``sa:*/*`` → ``sa:<ns>/*`` (``pod:*/*`` → ``pod:<ns>/*``): a cluster-wide
                            grant works in every namespace
``choose-sa``               hub ``sa:<ns>/*`` → a service account of that namespace worth becoming
``runs-as``                 hub ``pod:<ns>/*`` → the service account of a running pod there
``irsa`` ... ``eks-access-policy``  cloud identity links (see :mod:`.cloud`)
==========================  ===================================================================

Techniques that let the caller pick *any* service account of a namespace (pod creation,
unrestricted TokenRequest or impersonation, token Secret creation) point at the hub node
``sa:<ns>/*`` (``sa:*/*`` cluster-wide), which has one ``choose-sa`` step to each service
account worth becoming: this keeps the graph linear in subjects plus accounts instead of
their product. Likewise unrestricted exec and ``nodes/proxy`` point at ``pod:<ns>/*`` (any
running pod; ``pod:*/*`` cluster-wide), whose ``runs-as`` steps lead to the pods' service
accounts. Service accounts that hold nothing of their own and no cloud identity are
interchangeable: ``choose-sa`` names one representative (``default`` when it exists) and says
how many others it stands for.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from kubesec_nb.checks import Evidence
from kubesec_nb.model import Model, object_key
from kubesec_nb.rbac.authorizer import Grant, Reason
from kubesec_nb.rbac.capabilities import CLUSTER, Allowance, Caps, ProbeIndex
from kubesec_nb.rbac.catalog import (
    ADMIN_NEEDS,
    AWS_AUTH_WRITE,
    BINDING_WRITE,
    CSR_SIGN,
    EPHEMERAL,
    EXEC,
    IMPERSONATE,
    NODES_PROXY,
    POD_CREATE,
    ROLE_UPDATE,
    SECRET_CREATE,
    SECRET_READ,
    TOKEN_REQUEST,
    WILDCARD,
    Need,
    met,
    met_all,
)
from kubesec_nb.rbac.cloud import ADMIN_POLICY, CLUSTER_ADMIN_POLICY, CloudLink
from kubesec_nb.rbac.objects import RoleRecord
from kubesec_nb.rbac.principals import Principals
from kubesec_nb.rbac.subjects import MASTERS, SA_PREFIX

CLUSTER_ADMIN = "cluster-admin"
SECRETS_ALL = "secrets:*"
TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"


def any_service_account(ns: str | None) -> str:
    """The hub node "any service account of ``ns``" (``sa:<ns>/*``; ``sa:*/*`` for the whole cluster).

    >>> any_service_account("shop"), any_service_account(None)
    ('sa:shop/*', 'sa:*/*')
    """
    return f"sa:{ns or '*'}/*"


def any_pod(ns: str | None) -> str:
    """The hub node "any running pod of ``ns``" (``pod:<ns>/*``; ``pod:*/*`` for the whole cluster).

    >>> any_pod("shop")
    'pod:shop/*'
    """
    return f"pod:{ns or '*'}/*"


def namespace_admin(ns: str) -> str:
    """The node id of namespace admin of ``ns``.

    >>> namespace_admin("shop")
    'namespace-admin:shop'
    """
    return f"namespace-admin:{ns}"


@dataclass(frozen=True, order=True)
class Step:
    """One escalation step (an attack-graph edge). See the module docstring."""

    source: str
    technique: str
    target: str
    scope: str = ""
    evidence: tuple[Evidence, ...] = ()

    def __str__(self) -> str:
        return f"{self.source} --{self.technique}--> {self.target}"


Derived = tuple[tuple[str, str, str, tuple[Evidence, ...]], ...]  # (technique, target, scope, evidence)
Add = Callable[..., None]


def reasons_evidence(reasons: Iterable[Reason]) -> tuple[Evidence, ...]:
    """Evidence lines for the rules behind a capability.

    >>> r = Reason("RoleBinding/shop/ci", "Role/shop/deployer", 0, "create pods", "User:ci", "shop")
    >>> ev = reasons_evidence([r])
    >>> str(ev[0])
    'RoleBinding/shop/ci: roleRef Role/shop/deployer rules[0] (subject User:ci) = create pods'
    """
    return tuple(dict.fromkeys(
        Evidence(r.binding, f"roleRef {r.role} rules[{r.rule_index}] (subject {r.subject})", r.rule)
        for r in reasons))


class Escalation:
    """Builds the steps of every principal, and reachability of cluster-admin and namespace-admin."""

    def __init__(self, principals: Principals, links: list[CloudLink], *, namespace_admin_mode: str,
                 csr_mints_masters: bool, aws_auth_honoured: bool) -> None:
        self.p = principals
        self.model: Model = principals.model
        self.objects = principals.authorizer.objects
        self.links = links
        self.mappings = principals.mappings  # the honoured ones
        self.namespace_admin_mode = namespace_admin_mode
        self.csr_mints_masters = csr_mints_masters
        self.aws_auth_honoured = aws_auth_honoured and (
            self.model.provider == "eks" or self.model.configmap("kube-system", "aws-auth") is not None)
        self._memo: dict[tuple[frozenset[str], str], Derived] = {}
        self._role_index = ProbeIndex(principals.probes.probes)
        self._sa_memo: dict[str, list[tuple[str, str]]] = {}
        self._ev_memo: dict[tuple[Reason, ...], tuple[Evidence, ...]] = {}
        self._role_memo: dict[tuple[str, str], Derived] = {}

    # ---- facts about the cluster ----------------------------------------------------------------
    @cached_property
    def namespaces(self) -> list[str]:
        ns = set(self.model.namespaces)
        ns.update(p.identity.namespace for p in self.p.principals.values() if p.identity.kind == "ServiceAccount")
        ns.update(b.namespace for b in self.objects.bindings if b.namespace)
        return sorted(ns)

    @cached_property
    def linked(self) -> dict[str, list[CloudLink]]:
        out: dict[str, list[CloudLink]] = defaultdict(list)
        for link in self.links:
            out[link.identity.node_id].append(link)
        return dict(out)

    @cached_property
    def service_accounts(self) -> dict[str, list[str]]:
        """Namespace → names of service accounts that exist (pods can only run as those)."""
        out: dict[str, list[str]] = defaultdict(list)
        if self.model.missing("serviceaccounts") is None:
            for key in self.model.service_accounts:
                ns, _, name = key.partition("/")
                out[ns].append(name)
        else:  # not collected: fall back to every service account the snapshot mentions
            for p in self.p.principals.values():
                if p.identity.kind == "ServiceAccount":
                    out[p.identity.namespace].append(p.identity.name)
        return {k: sorted(set(v)) for k, v in out.items()}

    def _sa_keys(self, ns: str, name: str) -> frozenset[str]:
        p = self.p.principals.get(f"ServiceAccount:{ns}:{name}")
        return self.p.keys_of(p) if p is not None else frozenset()

    def _own(self, ns: str, name: str) -> bool:
        return f"u:{SA_PREFIX}{ns}:{name}" in self.p.key_caps or f"sa:{ns}/{name}" in self.linked

    def _sa_targets(self, ns: str, names: frozenset[str] | None) -> list[tuple[str, str]]:
        """``(node id, note)`` of the service accounts worth becoming among ``names`` (None = all) of ``ns``."""
        if names is None:
            memo = self._sa_memo.get(ns)
            if memo is None:
                memo = self._sa_memo[ns] = self._sa_targets_uncached(ns, None)
            return memo
        return self._sa_targets_uncached(ns, names)

    def _sa_targets_uncached(self, ns: str, names: frozenset[str] | None) -> list[tuple[str, str]]:
        existing = self.service_accounts.get(ns, [])
        chosen = existing if names is None else [n for n in existing if n in names]
        out = [(f"sa:{ns}/{n}", "") for n in chosen if self._own(ns, n)]
        rest = [n for n in chosen if not self._own(ns, n) and self._sa_keys(ns, n)]
        if rest:
            rep = "default" if "default" in rest else rest[0]
            note = f" (stands for {len(rest) - 1} other service account(s) of {ns} with the same groups)" \
                if len(rest) > 1 else ""
            out.append((f"sa:{ns}/{rep}", note))
        return out

    @cached_property
    def token_secrets(self) -> dict[str, list[tuple[str, str]]]:
        """Namespace → ``(secret name, service account)`` of legacy token Secrets."""
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for s in self.model.items("secrets"):
            if s.get("type") == TOKEN_SECRET_TYPE:
                meta = s["metadata"]
                sa = (meta.get("annotations") or {}).get(SA_NAME_ANNOTATION)
                if sa:
                    out[meta["namespace"]].append((meta["name"], sa))
        return {k: sorted(v) for k, v in out.items()}

    @cached_property
    def secrets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for s in self.model.items("secrets"):
            out[s["metadata"]["namespace"]].append(s["metadata"]["name"])
        return {k: sorted(v) for k, v in out.items()}

    @cached_property
    def users_with_grants(self) -> list[str]:
        """Users (not service accounts) that hold something beyond their implicit groups."""
        out = []
        for p in self.p.principals.values():
            implicit = {f"g:{g}" for g in p.identity.implicit_groups}
            if p.identity.kind == "User" and self.p.keys_of(p) - implicit:
                out.append(p.identity.name)
        return sorted(out)

    @cached_property
    def grants_by_key(self) -> dict[str, list[Grant]]:
        out: dict[str, list[Grant]] = defaultdict(list)
        for g in self.p.authorizer.grants:
            out[g.key].append(g)
        return dict(out)

    # ---- capabilities helpers -------------------------------------------------------------------
    def _hit(self, caps: Caps, needs: Iterable[Need], scope: str) -> list[tuple[Need, Allowance]]:
        return met(needs, caps, scope, self.p.flags)

    def _all(self, caps: Caps, clauses: Iterable[tuple[Need, ...]], scope: str) -> list[Reason] | None:
        hits = met_all(clauses, caps, scope, self.p.flags)
        return None if hits is None else self._reasons(hits)

    @staticmethod
    def _names(hits: list[tuple[Need, Allowance]]) -> frozenset[str] | None:
        names: set[str] = set()
        for _, a in hits:
            if a.names is None:
                return None
            names |= a.names
        return frozenset(names)

    @staticmethod
    def _reasons(hits: list[tuple[Need, Allowance]]) -> list[Reason]:
        return [r for _, a in hits for r in a.sources]

    # ---- derivation ---------------------------------------------------------------------------
    def derive(self, keys: frozenset[str], scope: str, depth: int = 0) -> Derived:
        """Steps (without a source) that the capabilities of ``keys`` at ``scope`` give."""
        memo = self._memo.get((keys, scope)) if depth == 0 else None
        if memo is not None:
            return memo
        caps = self.p.caps_for(keys, scope)
        out = self._derive_caps(caps, scope, keys, depth)
        if depth == 0:
            self._memo[(keys, scope)] = out
        return out

    def _derive_caps(self, caps: Caps, scope: str, keys: frozenset[str], depth: int) -> Derived:
        out: list[tuple[str, str, str, tuple[Evidence, ...]]] = []

        def add(tech: str, target: str, reasons: Iterable[Reason], *extra: Evidence) -> None:
            key = tuple(reasons)
            ev = self._ev_memo.get(key)
            if ev is None:
                ev = self._ev_memo[key] = reasons_evidence(key)
            out.append((tech, target, scope, (*ev, *extra)))

        nss = self.namespaces if scope == CLUSTER else [scope]
        wild = self._all(caps, WILDCARD, scope)
        if wild is not None and scope == CLUSTER:
            add("rbac-grant", CLUSTER_ADMIN, wild)
            return tuple(out)  # everything else is implied
        # namespace admin
        admin = wild if wild is not None else (
            self._all(caps, ADMIN_NEEDS, scope) if self.namespace_admin_mode == "admin-role" else None)
        if admin is not None:
            for ns in nss:
                add("rbac-grant", namespace_admin(ns), admin)
        # secrets
        read = self._hit(caps, SECRET_READ, scope)
        if read:
            names = self._names(read)
            if names is None and scope == CLUSTER:
                add("rbac-grant", SECRETS_ALL, self._reasons(read))
            else:
                for ns in nss:
                    for s in self.secrets.get(ns, []):
                        if names is None or s in names:
                            add("rbac-grant", f"secret:{ns}/{s}", self._reasons(read))
            for ns in nss:  # legacy token secrets
                for sname, sa in self.token_secrets.get(ns, []):
                    if names is None or sname in names:
                        add("legacy-token-read", f"sa:{ns}/{sa}", self._reasons(read),
                            Evidence(f"Secret {ns}/{sname}", "type", TOKEN_SECRET_TYPE),
                            Evidence(f"Secret {ns}/{sname}", f"metadata.annotations[{SA_NAME_ANNOTATION}]", sa))
        # run as another service account
        hub = any_service_account(None if scope == CLUSTER else scope)
        create = self._hit(caps, POD_CREATE, scope)
        if create:
            add("pod-create", hub, self._reasons(create),
                Evidence(hub, "spec.serviceAccountName", "a created pod may name any service account there"))
        execs = self._hit(caps, (*EXEC, *EPHEMERAL), scope)
        if execs:
            self._pod_targets(add, "pod-exec", execs, scope, self._names(execs))
        token = self._hit(caps, TOKEN_REQUEST, scope)
        if token:
            names = self._names(token)
            if names is None:
                add("token-request", hub, self._reasons(token))
            for ns in nss if names is not None else ():
                for target, note in self._sa_targets(ns, names):
                    add("token-request", target, self._reasons(token),
                        Evidence(f"ServiceAccount {target[3:]}", "serviceaccounts/token", f"TokenRequest{note}"))
        mint = self._hit(caps, SECRET_CREATE, scope)
        if mint and (read or create):
            add("token-secret-create", hub, self._reasons(mint + (read or create)),
                Evidence(f"Secret {hub[3:]}", "type", f"{TOKEN_SECRET_TYPE} (annotated for any service account)"))
        # impersonation
        self._impersonation(add, caps, scope, nss)
        if scope == CLUSTER:
            proxy = self._hit(caps, NODES_PROXY, scope)
            if proxy:
                self._pod_targets(add, "nodes-proxy", proxy, scope, self._names(proxy), nodes=True)
            csr = self._all(caps, CSR_SIGN, scope)
            if csr is not None and self.csr_mints_masters:
                add("csr-sign", f"group:{MASTERS}", csr,
                    Evidence("signer kubernetes.io/kube-apiserver-client", "csr_signer_mints_masters option",
                             "signs client certificates with any organization"))
        if self.aws_auth_honoured and (scope == CLUSTER or scope == "kube-system"):
            aws = self._hit(caps, AWS_AUTH_WRITE, "kube-system")
            exists = self.model.configmap("kube-system", "aws-auth") is not None
            aws = [(n, a) for n, a in aws if n.verb != "create" or not exists]
            if aws:
                add("aws-auth-write", f"group:{MASTERS}", self._reasons(aws),
                    Evidence("ConfigMap kube-system/aws-auth", "data.mapRoles", "writable: map an IAM role to "
                             "system:masters"))
        if depth == 0 and wild is None:  # '*' in a namespace already holds whatever a binding there could add
            self._bind(out, caps, scope, keys)
        return tuple(out)

    @cached_property
    def _pods(self) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], tuple[str, str]],
                             dict[str, list[tuple[str, str]]]]:
        """Running pods of service accounts worth becoming: by namespace (SA node → first pod),
        by (namespace, pod name), and by node."""
        by_ns: dict[str, dict[str, str]] = defaultdict(dict)
        by_name: dict[tuple[str, str], tuple[str, str]] = {}
        by_node: dict[str, list[tuple[str, str]]] = defaultdict(list)
        worth = self.worth
        for pod in self.model.pods:
            ns, _, sa = self.model.service_account_of(pod).partition("/")
            node = f"sa:{ns}/{sa}"
            if node not in worth:
                continue
            key = object_key(pod)
            by_ns[ns].setdefault(node, key)
            by_name[(ns, pod["metadata"]["name"])] = (node, key)
            host = (pod.get("spec") or {}).get("nodeName")
            if host:
                by_node[host].append((node, key))
        return dict(by_ns), by_name, dict(by_node)

    @cached_property
    def worth(self) -> frozenset[str]:
        """Service-account nodes that hold something (own grants, group grants or a cloud identity)."""
        out = set(self.linked)
        for p in self.p.principals.values():
            if p.identity.kind == "ServiceAccount" and self.p.keys_of(p):
                out.add(p.identity.node_id)
        return frozenset(out)

    def _pod_targets(self, add: Add, tech: str, hits: list[tuple[Need, Allowance]], scope: str,
                     names: frozenset[str] | None, nodes: bool = False) -> None:
        reasons = self._reasons(hits)
        _, by_name, by_node = self._pods
        if names is None:
            add(tech, any_pod(None if scope == CLUSTER or nodes else scope), reasons)
            return
        found: list[tuple[str, str, str]] = []
        if nodes:
            found = [(sa, pod, n) for n in sorted(names) for sa, pod in by_node.get(n, [])]
        else:
            for ns in self.namespaces if scope == CLUSTER else [scope]:
                found += [(*by_name[(ns, n)], "") for n in sorted(names) if (ns, n) in by_name]
        for sa, pod, node in found:
            extra = [Evidence(f"Pod {pod}", "spec.serviceAccountName", sa[3:])]
            if node:
                extra.insert(0, Evidence(f"Node {node}", "kubelet API", "exec into its pods"))
            add(tech, sa, reasons, *extra)

    def _impersonation(self, add: Add, caps: Caps, scope: str, nss: list[str]) -> None:
        hits = {n.resource: (n, a) for n, a in self._hit(caps, IMPERSONATE, scope)}
        if "groups" in hits:
            _, a = hits["groups"]
            targets = [MASTERS] if a.names is None else sorted(a.names)
            for g in targets:
                add("impersonate", f"group:{g}", a.sources)
        if "users" in hits:
            _, a = hits["users"]
            if a.names is None:
                users = self.users_with_grants
            else:
                users = [u for u in sorted(a.names) if not u.startswith(SA_PREFIX)]
            for u in users:
                add("impersonate", f"user:{u}", a.sources)
        if "serviceaccounts" in hits:
            _, a = hits["serviceaccounts"]
            if a.names is None:
                add("impersonate", any_service_account(None if scope == CLUSTER else scope), a.sources)
                return
            for ns in nss:
                for target, note in self._sa_targets(ns, a.names):
                    add("impersonate", target, a.sources,
                        *([Evidence(f"ServiceAccount {target[3:]}", "impersonation", note.strip())] if note else []))

    def _bind(self, out: list[tuple[str, str, str, tuple[Evidence, ...]]], caps: Caps, scope: str,
              keys: frozenset[str]) -> None:
        kind = "clusterrolebindings" if scope == CLUSTER else "rolebindings"
        writes = [(n, a) for n, a in self._hit(caps, BINDING_WRITE, scope) if n.resource == kind]
        if writes and (Need("bind", "roles").probe in caps or Need("bind", "clusterroles").probe in caps):
            seen: set[str] = set()
            for role, reasons in self._bindable(caps, scope, writes):
                for tech, target, sc, ev in self._role_steps(role, scope):
                    if target in seen:
                        continue
                    seen.add(target)
                    label = Evidence(role.ref, "bind", f"grants {tech} → {target}")
                    out.append(("rbac-bind", target, sc, (*reasons_evidence(reasons), label, *ev)))
        self._escalate(out, caps, scope, keys)

    def _role_steps(self, role: RoleRecord, scope: str) -> Derived:
        """What holding ``role`` at ``scope`` gives (memoized per role and scope)."""
        memo = self._role_memo.get((role.ref, scope))
        if memo is None:
            role_caps: Caps = {}
            for i, rule in enumerate(role.rules):
                self._role_index.add(role_caps, rule, Reason(f"(can bind) {role.ref}", role.ref, i, str(rule), "",
                                                             scope), scope)
            memo = self._role_memo[(role.ref, scope)] = self._derive_caps(role_caps, scope, frozenset(), 1)
        return memo

    def _bindable(self, caps: Caps, scope: str,
                  writes: list[tuple[Need, Allowance]]) -> list[tuple[RoleRecord, list[Reason]]]:
        creates = [(n, a) for n, a in writes if n.verb == "create"]
        updates = [(n, a) for n, a in writes if n.verb != "create"]
        allowed: dict[str, RoleRecord] = {}
        pool: list[RoleRecord] = list(self.objects.clusterroles.values())
        if scope != CLUSTER:
            pool += [r for (ns, _), r in self.objects.roles.items() if ns == scope]
        if updates and not creates:  # adding oneself to existing bindings: their roleRef is immutable
            names = self._names(updates)
            existing = {self.objects.role_of(b) for b in self.objects.bindings
                        if b.scope == scope and (names is None or b.name in names)}
            pool = [r for r in pool if r in existing]
        out: list[tuple[RoleRecord, list[Reason]]] = []
        for role in pool:
            res = "clusterroles" if role.kind == "ClusterRole" else "roles"
            a = caps.get(Need("bind", res).probe)
            if a is not None and a.allows(role.name) and role.ref not in allowed:
                allowed[role.ref] = role
                out.append((role, [*self._reasons(writes), *a.sources]))
        return out

    def _escalate(self, out: list[tuple[str, str, str, tuple[Evidence, ...]]], caps: Caps, scope: str,
                  keys: frozenset[str]) -> None:
        res = "clusterroles" if scope == CLUSTER else "roles"
        esc = caps.get(Need("escalate", res).probe)
        if esc is None:
            return
        upd = [caps[n.probe] for n in ROLE_UPDATE if n.resource == res and n.probe in caps]
        for key in sorted(keys):
            for g in self.grants_by_key.get(key, []):
                role = g.role
                if role is None or (role.kind == "ClusterRole") != (scope == CLUSTER):
                    continue
                if scope != CLUSTER and role.namespace != scope:
                    continue
                if not esc.allows(role.name) or not any(u.allows(role.name) for u in upd):
                    continue
                cluster = g.binding.kind == "ClusterRoleBinding"
                target = CLUSTER_ADMIN if cluster else namespace_admin(g.binding.namespace)
                reasons = [*esc.sources, *(r for u in upd for r in u.sources)]
                out.append(("rbac-escalate", target, scope, (
                    *reasons_evidence(reasons),
                    Evidence(g.binding.ref, "roleRef", f"{role.ref} is bound to {g.subject.written}; escalate "
                                                       "lets it add any rule"))))

    # ---- all steps ------------------------------------------------------------------------------
    @cached_property
    def steps(self) -> list[Step]:
        """Every step, sorted by source, technique, target."""
        found: dict[tuple[str, str, str], Step] = {}

        def put(src: str, tech: str, target: str, scope: str, ev: tuple[Evidence, ...]) -> None:
            if src != target and (src, tech, target) not in found:
                found[(src, tech, target)] = Step(src, tech, target, scope, ev)

        key_caps = self.p.key_caps
        for p in self.p.principals.values():
            src = p.identity.node_id
            keys = self.p.keys_of(p)
            if p.identity.kind != "Group":
                for g, why in p.group_sources:
                    if f"g:{g}" in key_caps or g == MASTERS:
                        put(src, "member-of", f"group:{g}", "", (Evidence(p.subject, "group", f"{g} ({why})"),))
            if not keys:
                continue
            own_only = p.identity.kind == "Group" or keys == {p.own_key}
            groups = [] if own_only else sorted(k for k in keys if k != p.own_key)
            for scope in self.p.scopes_of(keys):
                mine = self.derive(keys, scope)
                if not own_only:
                    own = {(t, x) for t, x, _, _ in self.derive(frozenset({p.own_key}), scope)} \
                        if p.own_key in keys else set()
                    covered = {(t, x) for g in groups for t, x, _, _ in self.derive(frozenset({g}), scope)}
                    mine = tuple(d for d in mine if (d[0], d[1]) in own or (d[0], d[1]) not in covered)
                for tech, target, sc, ev in mine:
                    put(src, tech, target, sc, ev)
        hubs = {s.target for s in found.values() if s.target.endswith("/*") and s.target.startswith("sa:")}
        if "sa:*/*" in hubs:
            for ns in sorted(self.service_accounts):
                hubs.add(any_service_account(ns))
                put("sa:*/*", "any-namespace", any_service_account(ns), ns,
                    (Evidence(f"Namespace {ns}", "exists", "the cluster-wide grant applies in it"),))
        by_ns = self._pods[0]
        pod_hubs = {s.target for s in found.values() if s.target.startswith("pod:") and s.target.endswith("/*")}
        if "pod:*/*" in pod_hubs:
            for ns in sorted(by_ns):
                pod_hubs.add(any_pod(ns))
                put("pod:*/*", "any-namespace", any_pod(ns), ns,
                    (Evidence(f"Namespace {ns}", "exists", "the cluster-wide grant applies in it"),))
        for hub in sorted(pod_hubs - {"pod:*/*"}):
            ns = hub[4:-2]
            for target, pod in sorted(by_ns.get(ns, {}).items()):
                put(hub, "runs-as", target, ns, (Evidence(f"Pod {pod}", "spec.serviceAccountName", target[3:]),))
        for hub in sorted(hubs - {"sa:*/*"}):
            ns = hub[3:-2]
            for target, note in self._sa_targets(ns, None):
                put(hub, "choose-sa", target, ns, (Evidence(f"ServiceAccount {target[3:]}", "exists",
                                                            f"worth becoming{note}"),))
        put(f"group:{MASTERS}", "system-masters", CLUSTER_ADMIN, CLUSTER,
            (Evidence(f"Group {MASTERS}", "privileged group", "the API server allows it everything, no binding "
                                                               "needed"),))
        for link in self.links:
            put(link.identity.node_id, link.mechanism, link.cloud, link.identity.namespace, link.evidence)
        for m in self.mappings:
            put(m.cloud, "aws-auth" if m.source.startswith("aws-auth") else "eks-access-entry",
                f"user:{m.username}", CLUSTER, m.evidence)
            for policy, where in m.policies:
                if policy == CLUSTER_ADMIN_POLICY and where == CLUSTER:
                    put(m.cloud, "eks-access-policy", CLUSTER_ADMIN, CLUSTER, m.evidence)
                elif policy in (ADMIN_POLICY, CLUSTER_ADMIN_POLICY):
                    nss = self.namespaces if where == CLUSTER else where.split(",")
                    for ns in nss:
                        put(m.cloud, "eks-access-policy", namespace_admin(ns), ns, m.evidence)
        return sorted(found.values(), key=lambda s: (s.source, s.technique, s.target))


# ---- reachability -------------------------------------------------------------------------------
#: Among equally short paths, prefer plain holdings and memberships over techniques.
_PRIORITY = {"rbac-grant": 0, "system-masters": 1, "member-of": 2}


def _order(s: Step) -> tuple[int, str, str, str]:
    return (_PRIORITY.get(s.technique, 3), s.source, s.technique, s.target)


class Reachability:
    """Shortest step paths into targets; the step index is built once for many targets.

    >>> s = [Step("user:a", "impersonate", "group:system:masters"),
    ...      Step("group:system:masters", "system-masters", "cluster-admin")]
    >>> [str(x) for x in Reachability(s).paths_to("cluster-admin")["user:a"]]
    ['user:a --impersonate--> group:system:masters', 'group:system:masters --system-masters--> cluster-admin']
    """

    def __init__(self, steps: Iterable[Step]) -> None:
        incoming: dict[str, list[Step]] = defaultdict(list)
        outgoing: dict[str, list[Step]] = defaultdict(list)
        for s in steps:
            incoming[s.target].append(s)
            if s.technique != "member-of":
                outgoing[s.source].append(s)
        for v in (*incoming.values(), *outgoing.values()):
            v.sort(key=_order)
        self.incoming, self.outgoing = dict(incoming), dict(outgoing)

    def paths_to(self, target: str) -> dict[str, list[Step]]:
        """For every node that reaches ``target``, one shortest path of steps (BFS, deterministic)."""
        nxt: dict[str, Step] = {}
        seen = {target}
        queue = deque([target])
        while queue:
            node = queue.popleft()
            for s in self.incoming.get(node, ()):
                if s.source not in seen:
                    seen.add(s.source)
                    nxt[s.source] = s
                    queue.append(s.source)
        out: dict[str, list[Step]] = {}
        for src in nxt:
            path, cur = [], src
            while cur != target:
                step = nxt[cur]
                path.append(step)
                cur = step.target
            out[src] = path
        return out

    def own_paths_to(self, target: str) -> dict[str, list[Step]]:
        """Like :meth:`paths_to`, but each path starts with a step of the node's own (not ``member-of``).

        A subject that reaches the target only through a group it belongs to is left to that group.
        """
        paths = self.paths_to(target)
        out: dict[str, list[Step]] = {}
        for src in paths:
            best: list[Step] | None = None
            for s in self.outgoing.get(src, ()):
                rest = [] if s.target == target else paths.get(s.target)
                if rest is None or src in {x.target for x in rest}:
                    continue
                cand = [s, *rest]
                if best is None or len(cand) < len(best):
                    best = cand
            if best is not None:
                out[src] = best
        return out
