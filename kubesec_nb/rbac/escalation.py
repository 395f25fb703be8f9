"""Escalation analysis: single steps from one identity or privilege to another, as data.

A :class:`Step` is one edge for the attack graph: a source node (``sa:ns/name``, ``user:name``,
``group:name``, ``cloud:...``), a technique, a target node (an identity, ``cluster-admin``,
``namespace-admin:<ns>``, ``secrets:*``, ``secret:<ns>/<name>``, ``cloud:...``), the scope of
the grants it uses (``cluster``, a namespace, or ``""``) and the evidence (binding, role, rule,
object) behind it. Node ids are built by :mod:`kubesec_nb.identity`. Techniques:

=========================  ======================================================  ==================================
technique                  what it means                                           upstream source
=========================  ======================================================  ==================================
``rbac-grant``             holds the privilege through its bindings                plugin/pkg/auth/authorizer/rbac
``member-of``              authenticates with that group (implicit, identity       authenticators; ``idp_groups``
                           provider, cloud mapping)
``system-masters``         the hard-wired superuser group                          authorizerfactory privileged group
``impersonate``            ``Impersonate-User`` (users; service accounts are       apiserver/pkg/endpoints/filters/
                           ``impersonate serviceaccounts``): that identity, with   impersonation.go
                           ``system:authenticated`` only (not the groups its
                           identity provider or cloud mapping adds: steps then go
                           straight to what the impersonated user holds);
                           ``Impersonate-Group`` only together with a user or
                           service account (a group alone is rejected), each
                           checked separately
``rbac-bind``              create or update a binding + ``bind`` on a role → what  pkg/registry/rbac/escalation_check
                           the role grants; cluster-wide ``create rolebindings``
                           + ``bind`` on a ClusterRole → that role in every
                           namespace
``rbac-escalate``          ``escalate`` + update of a role bound to the subject    pkg/registry/rbac/escalation_check
``pod-create``             create pods, Jobs or any controller, or update/patch a  pkg/apis/batch/validation
                           controller other than a Job (whose ``spec.template`` is ValidateJobSpecUpdate
                           immutable) → run as any service account there
``pod-exec``               exec / attach / ephemeral containers → the token of a   kubelet; ServiceAccount admission
                           running pod that mounts one
``pod-patch``              update/patch pods → replace a running pod's image, run  pkg/apis/core/validation
                           as the token it mounts                                  ValidatePodUpdate
``nodes-proxy``            any verb on nodes/proxy → exec into the running pods    kubelet server (proxy → exec)
                           with tokens on those nodes
``token-request``          create serviceaccounts/token → that service account     TokenRequest API
``legacy-token-read``      read a ``kubernetes.io/service-account-token`` Secret   legacy token controller
``token-secret-create``    create such a Secret (the controller fills it) and      legacy token controller
                           read or mount it
``csr-sign``               create + approve a ``kube-apiserver-client`` CSR →      plugin/pkg/admission/certificates/
                           a client certificate for any user or group, except      subjectrestriction (on by default)
                           ``system:masters`` (CertificateSubjectRestriction;
                           option ``csr_signer_mints_masters`` for clusters that
                           disabled it)
``aws-auth-write``         write ``kube-system/aws-auth`` → map oneself to         EKS aws-iam-authenticator
                           system:masters
``any-namespace``          hub ``sa:*/*`` → ``sa:<ns>/*`` (``pod:*/*`` →           (hub)
                           ``pod:<ns>/*``): a cluster-wide grant works in every
                           namespace
``choose-sa``              hub ``sa:<ns>/*`` → a service account of that           (hub)
                           namespace worth becoming
``runs-as``                hub ``pod:<ns>/*`` → the token a running pod there      (hub)
                           mounts
``irsa`` ... ``eks-        cloud identity links (see :mod:`.cloud`)                provider documentation
access-policy``
=========================  ======================================================  ==================================

Techniques that let the caller pick *any* service account of a namespace (pod creation,
unrestricted TokenRequest or impersonation, token Secret creation) point at the hub node
``sa:<ns>/*`` (``sa:*/*`` cluster-wide), which has one ``choose-sa`` step to each service
account worth becoming: this keeps the graph linear in subjects plus accounts instead of
their product. Likewise unrestricted exec, ephemeral containers, pod patches and
``nodes/proxy`` point at ``pod:<ns>/*`` (any running pod that mounts a token; ``pod:*/*``
cluster-wide), whose ``runs-as`` steps lead to the tokens the pods mount (see
:meth:`kubesec_nb.model.Model.mounted_tokens`). Service accounts that hold nothing of their
own and no cloud identity are interchangeable: ``choose-sa`` names one representative
(``default`` when it exists) and says how many others it stands for.

Not modelled: the union of several groups impersonated at once (each group is a step of its
own), and certificates naming several groups (each group is a target of its own).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from kubesec_nb.checks import Evidence
from kubesec_nb.identity import (
    ANONYMOUS,
    AUTHENTICATED,
    CLUSTER_ADMIN,
    SECRETS_ALL,
    UNAUTHENTICATED,
    Identity,
    any_pod,
    any_service_account,
    hub_namespace,
    namespace_admin,
    secret_node,
    service_account,
    user,
)
from kubesec_nb.model import TOKEN_SECRET_TYPE, Model, object_key
from kubesec_nb.rbac.authorizer import Grant, Reason
from kubesec_nb.rbac.capabilities import CLUSTER, EVERY_NAMESPACE, Allowance, Caps, ProbeIndex
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
    POD_PATCH,
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
from kubesec_nb.rbac.objects import BindingRecord, RoleRecord
from kubesec_nb.rbac.principals import Principals
from kubesec_nb.rbac.subjects import MASTERS, group

__all__ = ["CLUSTER_ADMIN", "SECRETS_ALL", "Escalation", "Reachability", "Step", "any_pod", "any_service_account",
           "namespace_admin", "reasons_evidence"]

SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
#: Techniques that yield a service account's token (the cloud identity linked to it follows).
TOKEN_THEFT = ("pod-create", "pod-exec", "pod-patch", "nodes-proxy", "token-request", "impersonate",
               "legacy-token-read", "token-secret-create", "rbac-bind", "csr-sign")


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
#: A running pod's token: (service-account node, pod key, evidence: the pod's phase and where the token comes from).
PodToken = tuple[str, str, tuple[Evidence, Evidence]]


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


def _wide(scope: str) -> bool:
    """Whether grants at ``scope`` reach every namespace (cluster-wide, or RoleBindings in each)."""
    return scope in (CLUSTER, EVERY_NAMESPACE)


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
        self._sa_memo: dict[str, list[tuple[Identity, str]]] = {}
        self._ev_memo: dict[tuple[Reason, ...], tuple[Evidence, ...]] = {}
        self._role_memo: dict[tuple[str, str], Derived] = {}
        self._busy: set[tuple[frozenset[str], str]] = set()

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
                sa = service_account(key)
                out[sa.namespace].append(sa.name)
        else:  # not collected: fall back to every service account the snapshot mentions
            for p in self.p.principals.values():
                if p.identity.kind == "ServiceAccount":
                    out[p.identity.namespace].append(p.identity.name)
        return {k: sorted(set(v)) for k, v in out.items()}

    def _sa_keys(self, sa: Identity) -> frozenset[str]:
        p = self.p.principals.get(sa.subject)
        return self.p.keys_of(p) if p is not None else frozenset()

    def _own(self, sa: Identity) -> bool:
        return sa.key in self.p.key_caps or sa.node_id in self.linked

    def _sa_targets(self, ns: str, names: frozenset[str] | None) -> list[tuple[Identity, str]]:
        """``(service account, note)`` of the accounts worth becoming among ``names`` (None = all) of ``ns``."""
        if names is None:
            memo = self._sa_memo.get(ns)
            if memo is None:
                memo = self._sa_memo[ns] = self._sa_targets_uncached(ns, None)
            return memo
        return self._sa_targets_uncached(ns, names)

    def _sa_targets_uncached(self, ns: str, names: frozenset[str] | None) -> list[tuple[Identity, str]]:
        existing = [Identity("ServiceAccount", n, ns) for n in self.service_accounts.get(ns, [])]
        chosen = existing if names is None else [sa for sa in existing if sa.name in names]
        out = [(sa, "") for sa in chosen if self._own(sa)]
        rest = [sa for sa in chosen if not self._own(sa) and self._sa_keys(sa)]
        if rest:
            rep = next((sa for sa in rest if sa.name == "default"), rest[0])
            note = f" (stands for {len(rest) - 1} other service account(s) of {ns} with the same groups)" \
                if len(rest) > 1 else ""
            out.append((rep, note))
        return out

    @cached_property
    def token_secrets(self) -> dict[str, list[tuple[str, str]]]:
        """Namespace → ``(secret name, service account name)`` of legacy token Secrets."""
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key, sa in self.model.token_secrets.items():
            ns, _, name = key.partition("/")
            out[ns].append((name, sa))
        return {k: sorted(v) for k, v in out.items()}

    @cached_property
    def secrets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for s in self.model.items("secrets"):
            out[s["metadata"]["namespace"]].append(s["metadata"]["name"])
        return {k: sorted(v) for k, v in out.items()}

    @cached_property
    def users_with_grants(self) -> list[str]:
        """Users (not service accounts) whose own username some binding names."""
        return sorted(p.identity.name for p in self.p.principals.values()
                      if p.identity.kind == "User" and p.own_key in self.p.key_caps)

    @cached_property
    def groups_with_grants(self) -> list[str]:
        """Groups some binding names."""
        return sorted(p.identity.name for p in self.p.principals.values()
                      if p.identity.kind == "Group" and p.own_key in self.p.key_caps)

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
        if (keys, scope) in self._busy:  # impersonating a user who can impersonate: nothing new on this path
            return ()
        self._busy.add((keys, scope))
        try:
            out = self._derive_caps(self.p.caps_for(keys, scope), scope, keys, depth)
        finally:
            self._busy.discard((keys, scope))
        if depth == 0:
            self._memo[(keys, scope)] = out
        return out

    def _derive_caps(self, caps: Caps, scope: str, keys: frozenset[str], depth: int) -> Derived:
        out: list[tuple[str, str, str, tuple[Evidence, ...]]] = []
        step_scope = CLUSTER if scope == EVERY_NAMESPACE else scope  # RoleBindings everywhere: cluster-wide grants

        def add(tech: str, target: str, reasons: Iterable[Reason], *extra: Evidence) -> None:
            key = tuple(reasons)
            ev = self._ev_memo.get(key)
            if ev is None:
                ev = self._ev_memo[key] = reasons_evidence(key)
            out.append((tech, target, step_scope, (*ev, *extra)))

        wide = _wide(scope)
        nss = self.namespaces if wide else [scope]
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
            if names is None and wide:
                add("rbac-grant", SECRETS_ALL, self._reasons(read))
            else:
                for ns in nss:
                    for s in self.secrets.get(ns, []):
                        if names is None or s in names:
                            add("rbac-grant", secret_node(ns, s), self._reasons(read))
            for ns in nss:  # legacy token secrets
                for sname, sa in self.token_secrets.get(ns, []):
                    if names is None or sname in names:
                        add("legacy-token-read", Identity("ServiceAccount", sa, ns).node_id, self._reasons(read),
                            Evidence(f"Secret {ns}/{sname}", "type", TOKEN_SECRET_TYPE),
                            Evidence(f"Secret {ns}/{sname}", f"metadata.annotations[{SA_NAME_ANNOTATION}]", sa))
        # run as another service account
        hub = any_service_account(None if wide else scope)
        create = self._hit(caps, POD_CREATE, scope)
        if create:
            add("pod-create", hub, self._reasons(create),
                Evidence(hub, "spec.serviceAccountName", "a created pod may name any service account there"))
        execs = self._hit(caps, (*EXEC, *EPHEMERAL), scope)
        if execs:
            self._pod_targets(add, "pod-exec", execs, scope, self._names(execs))
        patch = self._hit(caps, POD_PATCH, scope)
        if patch:
            self._pod_targets(add, "pod-patch", patch, scope, self._names(patch))
        token = self._hit(caps, TOKEN_REQUEST, scope)
        if token:
            names = self._names(token)
            if names is None:
                add("token-request", hub, self._reasons(token))
            for ns in nss if names is not None else ():
                for acct, note in self._sa_targets(ns, names):
                    add("token-request", acct.node_id, self._reasons(token),
                        Evidence(f"ServiceAccount {acct.ref}", "serviceaccounts/token", f"TokenRequest{note}"))
        mint = self._hit(caps, SECRET_CREATE, scope)
        if mint and (read or create):
            add("token-secret-create", hub, self._reasons(mint + (read or create)),
                Evidence(f"Secret {hub_namespace(hub)}/<new>", "type",
                         f"{TOKEN_SECRET_TYPE} (annotated for any service account)"))
        self._impersonation(add, caps, scope, nss)
        if scope == CLUSTER:
            proxy = self._hit(caps, NODES_PROXY, scope)
            if proxy:
                self._pod_targets(add, "nodes-proxy", proxy, scope, self._names(proxy), nodes=True)
            csr = self._all(caps, CSR_SIGN, scope)
            if csr is not None:
                self._certificates(add, csr)
        if self.aws_auth_honoured and (wide or scope == "kube-system"):
            aws = self._hit(caps, AWS_AUTH_WRITE, "kube-system")
            exists = self.model.configmap("kube-system", "aws-auth") is not None
            aws = [(n, a) for n, a in aws if n.verb != "create" or not exists]
            if aws:
                add("aws-auth-write", group(MASTERS).node_id, self._reasons(aws),
                    Evidence("ConfigMap kube-system/aws-auth", "data.mapRoles", "writable: map an IAM role to "
                             "system:masters"))
        if depth == 0 and wild is None:  # '*' in a namespace already holds whatever a binding there could add
            self._bind(out, caps, scope, keys)
        return tuple(out)

    # ---- running pods and their tokens --------------------------------------------------------
    @cached_property
    def _pods(self) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], list[PodToken]],
                             dict[str, list[PodToken]]]:
        """Tokens of running pods, for service accounts worth becoming: by namespace (SA node → first pod),
        by (namespace, pod name), and by node. Finished and pending pods, and pods that mount no token, give
        nothing to exec, attach, ephemeral containers, image patches or the kubelet."""
        by_ns: dict[str, dict[str, str]] = defaultdict(dict)
        by_name: dict[tuple[str, str], list[PodToken]] = defaultdict(list)
        by_node: dict[str, list[PodToken]] = defaultdict(list)
        worth = self.worth
        for pod in self.model.pods:
            if not self.model.is_running(pod):
                continue
            key = object_key(pod)
            ns, name = key.split("/", 1)
            host = (pod.get("spec") or {}).get("nodeName")
            phase = (pod.get("status") or {}).get("phase") or "none (a manifest: stands for its controller's pods)"
            for tok in self.model.mounted_tokens(pod):
                node = service_account(tok.service_account).node_id
                if node not in worth:
                    continue
                item = (node, key, (Evidence(f"Pod {key}", "status.phase", phase),
                                    Evidence(f"Pod {key}", tok.field, f"{tok.value} ({tok.how}: token of "
                                                                      f"{tok.service_account})")))
                by_ns[ns].setdefault(node, key)
                by_name[(ns, name)].append(item)
                if host:
                    by_node[host].append(item)
        return dict(by_ns), dict(by_name), dict(by_node)

    @cached_property
    def _pod_token_evidence(self) -> dict[tuple[str, str], tuple[Evidence, Evidence]]:
        """(pod key, SA node) → the evidence of that token, for the ``runs-as`` steps of the hubs."""
        return {(key, node): ev for items in self._pods[1].values() for node, key, ev in items}

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
            add(tech, any_pod(None if _wide(scope) or nodes else scope), reasons)
            return
        found: list[tuple[PodToken, str]] = []
        if nodes:
            found = [(t, n) for n in sorted(names) for t in by_node.get(n, [])]
        else:
            for ns in self.namespaces if _wide(scope) else [scope]:
                found += [(t, "") for n in sorted(names) for t in by_name.get((ns, n), [])]
        for (sa, _, ev), node in found:
            extra = list(ev)
            if node:
                extra.insert(0, Evidence(f"Node {node}", "kubelet API", "exec into its pods"))
            add(tech, sa, reasons, *extra)

    # ---- impersonation and client certificates ------------------------------------------------
    def _impersonation(self, add: Add, caps: Caps, scope: str, nss: list[str]) -> None:
        hits = {n.resource: a for n, a in self._hit(caps, IMPERSONATE, scope)}
        users, accounts, groups = hits.get("users"), hits.get("serviceaccounts"), hits.get("groups")
        if users is not None:
            names = self.users_with_grants if users.names is None else \
                sorted(u for u in users.names if user(u).kind == "User")  # SA usernames need serviceaccounts
            for u in names:
                self._impersonate_user(add, user(u), users)
        if accounts is not None:
            if accounts.names is None:
                add("impersonate", any_service_account(None if _wide(scope) else scope), accounts.sources)
            else:
                for ns in nss:
                    for sa, note in self._sa_targets(ns, accounts.names):
                        add("impersonate", sa.node_id, accounts.sources,
                            *([Evidence(f"ServiceAccount {sa.ref}", "impersonation", note.strip())] if note else []))
        who = users or accounts
        if groups is not None and who is not None:  # Impersonate-Group needs Impersonate-User as well
            targets = [MASTERS] if groups.names is None else sorted(groups.names)
            as_user = "any user" if who.names is None else f"user or service account {sorted(who.names)[0]}"
            for g in targets:
                add("impersonate", group(g).node_id, (*groups.sources, *who.sources),
                    Evidence(f"Group {g}", "Impersonate-Group", f"together with Impersonate-User ({as_user})"))

    def _impersonate_user(self, add: Add, ident: Identity, allowance: Allowance) -> None:
        """Impersonating a user gives its own grants and ``system:authenticated`` (no group at all for
        ``system:anonymous``), never the groups its identity provider or a cloud mapping adds when it logs in
        itself: then the steps lead straight to what that identity holds, not to its node."""
        anonymous = ident.name == ANONYMOUS
        lost_groups = {g for g, _ in self.p.extra_groups.get(ident.name, ())} | ({UNAUTHENTICATED} if anonymous
                                                                                 else set())
        if not lost_groups:
            add("impersonate", ident.node_id, allowance.sources)
            return
        auth = group(AUTHENTICATED).key
        keys = frozenset(k for k in (ident.key, *(() if anonymous else (auth,))) if k in self.p.key_caps)
        public = {(t, x) for sc in self.p.scopes_of([auth]) for t, x, _, _ in self.derive(frozenset({auth}), sc)} \
            if auth in keys else set()
        lost = ", ".join(sorted(lost_groups))
        for sc in self.p.scopes_of(keys):
            for tech, target, _, ev in self.derive(keys, sc):
                if (tech, target) not in public:
                    add("impersonate", target, allowance.sources,
                        Evidence(f"User {ident.name}", "impersonated", f"{tech} → {target} as {ident.name} "
                                 f"without the groups {lost}"), *ev)

    def _certificates(self, add: Add, reasons: list[Reason]) -> None:
        """A kube-apiserver-client certificate names any user (CN) and groups (O): every user and group
        that holds something, and any service account; ``system:masters`` only when the
        CertificateSubjectRestriction admission plugin is off (``csr_signer_mints_masters``)."""
        signer = "signer kubernetes.io/kube-apiserver-client"
        for u in self.users_with_grants:
            add("csr-sign", user(u).node_id, reasons, Evidence(signer, "subject CN", u))
        for g in self.groups_with_grants:
            if g != MASTERS:
                add("csr-sign", group(g).node_id, reasons, Evidence(signer, "subject O", g))
        add("csr-sign", any_service_account(None), reasons,
            Evidence(signer, "subject CN", "system:serviceaccount:<ns>:<name>"))
        if self.csr_mints_masters:
            add("csr-sign", group(MASTERS).node_id, reasons,
                Evidence(signer, "subject O", f"{MASTERS} (csr_signer_mints_masters: CertificateSubjectRestriction "
                                              "admission plugin disabled)"))

    # ---- bindings -----------------------------------------------------------------------------
    def _bind(self, out: list[tuple[str, str, str, tuple[Evidence, ...]]], caps: Caps, scope: str,
              keys: frozenset[str]) -> None:
        if Need("bind", "roles").probe in caps or Need("bind", "clusterroles").probe in caps:
            writes = self._hit(caps, BINDING_WRITE, scope)
            seen: set[str] = set()
            kind = "clusterrolebindings" if scope == CLUSTER else "rolebindings"
            own = [(n, a) for n, a in writes if n.resource == kind]
            if own:
                pool = self._pool(scope, own)
                self._bind_steps(out, seen, self._bindable(caps, own, pool), scope)
            everywhere = [(n, a) for n, a in writes if n.resource == "rolebindings"] if scope == CLUSTER else []
            if everywhere:  # cluster-wide RoleBinding writes: a role in any (or every) namespace
                creates = [(n, a) for n, a in everywhere if n.verb == "create"]
                if creates:
                    cluster_roles = self._bindable(caps, creates, list(self.objects.clusterroles.values()))
                    self._bind_steps(out, seen, cluster_roles, EVERY_NAMESPACE)
                    roles = self._bindable(caps, creates, list(self.objects.roles.values()))
                    for role, reasons in roles:
                        self._bind_steps(out, seen, [(role, reasons)], role.namespace)
                updates = [(n, a) for n, a in everywhere if n.verb != "create"]
                for b in self._updatable(updates, lambda b: b.kind == "RoleBinding") if updates else ():
                    bound = self.objects.role_of(b)
                    if bound is not None:
                        self._bind_steps(out, seen, self._bindable(caps, updates, [bound]), b.namespace)
        self._escalate(out, caps, scope, keys)

    def _bind_steps(self, out: list[tuple[str, str, str, tuple[Evidence, ...]]], seen: set[str],
                    bindable: list[tuple[RoleRecord, list[Reason]]], at: str) -> None:
        where = "in every namespace (RoleBindings)" if at == EVERY_NAMESPACE else ""
        for role, reasons in bindable:
            for tech, target, sc, ev in self._role_steps(role, at):
                if target in seen:
                    continue
                seen.add(target)
                label = Evidence(role.ref, "bind", f"grants {tech} → {target}" + (f" {where}" if where else ""))
                out.append(("rbac-bind", target, sc, (*reasons_evidence(reasons), label, *ev)))

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

    def _pool(self, scope: str, writes: list[tuple[Need, Allowance]]) -> list[RoleRecord]:
        """Roles a binding written at ``scope`` may reference: ClusterRoles, and the Roles of a namespace;
        when only updates are allowed, those the existing bindings reference (roleRef is immutable)."""
        pool: list[RoleRecord] = list(self.objects.clusterroles.values())
        if scope != CLUSTER:
            pool += [r for (ns, _), r in self.objects.roles.items() if ns == scope]
        if not any(n.verb == "create" for n, _ in writes):
            existing = {self.objects.role_of(b) for b in self._updatable(writes, lambda b: b.scope == scope)}
            pool = [r for r in pool if r in existing]
        return pool

    def _updatable(self, updates: list[tuple[Need, Allowance]],
                   keep: Callable[[BindingRecord], bool]) -> list[BindingRecord]:
        names = self._names(updates)
        return [b for b in self.objects.bindings if keep(b) and (names is None or b.name in names)]

    def _bindable(self, caps: Caps, writes: list[tuple[Need, Allowance]],
                  pool: list[RoleRecord]) -> list[tuple[RoleRecord, list[Reason]]]:
        """Roles of ``pool`` that ``bind`` allows, each with the rules that allow writing and binding it."""
        out: dict[str, tuple[RoleRecord, list[Reason]]] = {}
        for role in pool:
            res = "clusterroles" if role.kind == "ClusterRole" else "roles"
            a = caps.get(Need("bind", res).probe)
            if a is not None and a.allows(role.name) and role.ref not in out:
                out[role.ref] = (role, [*self._reasons(writes), *a.sources])
        return list(out.values())

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
                    if group(g).key in key_caps or g == MASTERS:
                        put(src, "member-of", group(g).node_id, "", (Evidence(p.subject, "group", f"{g} ({why})"),))
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
        self._hub_steps(found, put)
        put(group(MASTERS).node_id, "system-masters", CLUSTER_ADMIN, CLUSTER,
            (Evidence(f"Group {MASTERS}", "privileged group", "the API server allows it everything, no binding "
                                                               "needed"),))
        for link in self.links:
            put(link.identity.node_id, link.mechanism, link.cloud, link.identity.namespace, link.evidence)
        for m in self.mappings:
            put(m.cloud, "aws-auth" if m.source.startswith("aws-auth") else "eks-access-entry",
                user(m.username).node_id, CLUSTER, m.evidence)
            for policy, where in m.policies:
                if policy == CLUSTER_ADMIN_POLICY and where == CLUSTER:
                    put(m.cloud, "eks-access-policy", CLUSTER_ADMIN, CLUSTER, m.evidence)
                elif policy in (ADMIN_POLICY, CLUSTER_ADMIN_POLICY):
                    nss = self.namespaces if where == CLUSTER else where.split(",")
                    for ns in nss:
                        put(m.cloud, "eks-access-policy", namespace_admin(ns), ns, m.evidence)
        return sorted(found.values(), key=lambda s: (s.source, s.technique, s.target))

    def _hub_steps(self, found: dict[tuple[str, str, str], Step], put: Callable[..., None]) -> None:
        """``any-namespace``, ``choose-sa`` and ``runs-as`` steps out of the hubs that some step reaches."""
        every = "the cluster-wide grant applies in it"
        sa_hubs = {s.target for s in found.values() if s.target.startswith("sa:") and hub_namespace(s.target)}
        if any_service_account(None) in sa_hubs:
            for ns in sorted(self.service_accounts):
                sa_hubs.add(any_service_account(ns))
                put(any_service_account(None), "any-namespace", any_service_account(ns), ns,
                    (Evidence(f"Namespace {ns}", "exists", every),))
        by_ns = self._pods[0]
        pod_hubs = {s.target for s in found.values() if s.target.startswith("pod:") and hub_namespace(s.target)}
        if any_pod(None) in pod_hubs:
            for ns in sorted(by_ns):
                pod_hubs.add(any_pod(ns))
                put(any_pod(None), "any-namespace", any_pod(ns), ns, (Evidence(f"Namespace {ns}", "exists", every),))
        for hub in sorted(pod_hubs - {any_pod(None)}):
            ns = str(hub_namespace(hub))
            for target, pod in sorted(by_ns.get(ns, {}).items()):
                put(hub, "runs-as", target, ns, self._pod_token_evidence[(pod, target)])
        for hub in sorted(sa_hubs - {any_service_account(None)}):
            ns = str(hub_namespace(hub))
            for sa, note in self._sa_targets(ns, None):
                put(hub, "choose-sa", sa.node_id, ns, (Evidence(f"ServiceAccount {sa.ref}", "exists",
                                                                f"worth becoming{note}"),))


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
        paths[target] = []
        on_path: dict[str, frozenset[str]] = {}  # the nodes each path visits, once per path, not per step into it
        out: dict[str, list[Step]] = {}
        for src in paths:
            if src == target:
                continue
            best: tuple[Step, list[Step]] | None = None
            for s in self.outgoing.get(src, ()):
                rest = paths.get(s.target)
                if rest is None or (best is not None and len(rest) >= len(best[1])):
                    continue
                visits = on_path.get(s.target)
                if visits is None:
                    visits = on_path[s.target] = frozenset(x.target for x in rest)
                if src not in visits:
                    best = (s, rest)
            if best is not None:
                out[src] = [best[0], *best[1]]
        return out
