"""Every caller the analysis knows, the groups each authenticates with, and what each can do.

The universe of identities: service accounts (objects, binding subjects, pod specs), users
named in bindings, in ``idp_groups`` or by cloud mappings, node identities
``system:node:<name>``, the anonymous user (when anonymous requests are accepted), and every
group named anywhere (a ``Group:g`` principal counts only what ``g`` is granted).

A caller's *keys* are its own principal key plus one per group; capabilities and catalog
matches are computed per key and scope, then combined per key set (memoized, because
thousands of service accounts share the same groups).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from kubesec_nb.model import Model
from kubesec_nb.rbac.authorizer import Authorizer, Reason
from kubesec_nb.rbac.capabilities import CLUSTER, Caps, ProbeIndex, merge_caps
from kubesec_nb.rbac.catalog import (
    CATALOG,
    CLUSTER_ADMIN_RULE,
    EXEC_VIA_GET,
    NAMESPACE_WILDCARD_RULE,
    SECRET_GET,
    CatalogRule,
    Need,
    all_needs,
    evaluate,
)
from kubesec_nb.rbac.cloud import CloudMapping
from kubesec_nb.rbac.options import Options
from kubesec_nb.rbac.subjects import (
    ANONYMOUS,
    AUTHENTICATED,
    MASTERS,
    NODE_PREFIX,
    UNAUTHENTICATED,
    Identity,
    from_key,
    group,
    service_account,
    subject_platform_reason,
    user,
)

Match = tuple[tuple[Need, ...], tuple[Reason, ...]]


@dataclass(frozen=True)
class Principal:
    """One caller: its identity, all its groups (with where each comes from), platform label."""

    identity: Identity
    groups: tuple[str, ...]
    group_sources: tuple[tuple[str, str], ...]
    platform: str | None

    @property
    def subject(self) -> str:
        return self.identity.subject

    @property
    def own_key(self) -> str:
        return self.identity.key


class Principals:
    """The identity universe and per-key capabilities. See the module docstring."""

    def __init__(self, model: Model, authorizer: Authorizer, options: Options,
                 mappings: Iterable[CloudMapping] = ()) -> None:
        self.model = model
        self.authorizer = authorizer
        self.options = options
        self.mappings = [m for m in mappings if m.honoured]
        flags = {EXEC_VIA_GET} if self.exec_via_get else set()
        self.flags = frozenset(flags | ({SECRET_GET} if options.rbac_secret_get_reads else set()))
        self.probes = ProbeIndex(tuple(dict.fromkeys(n.probe for n in all_needs())))
        self._caps_memo: dict[tuple[frozenset[str], str], Caps] = {}
        self._match_memo: dict[frozenset[str], dict[tuple[str, str], Match]] = {}

    @property
    def exec_via_get(self) -> bool:
        """Whether ``get`` on pods/exec, attach and portforward runs them (before 1.35, unless overridden)."""
        opt = self.options.exec_via_get
        return opt if opt is not None else self.model.version < (1, 35)

    # ---- the universe -------------------------------------------------------------------------
    @cached_property
    def extra_groups(self) -> dict[str, list[tuple[str, str]]]:
        """Username → ``(group, source)`` beyond the implicit ones (identity provider, cloud mappings)."""
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for name, groups in self.options.idp_groups.items():
            out[name].extend((g, "idp_groups option") for g in groups)
        for m in self.mappings:
            out[m.username].extend((g, f"{m.source} {m.principal}") for g in m.groups)
        return dict(out)

    @cached_property
    def principals(self) -> dict[str, Principal]:
        """Every principal by subject string, sorted."""
        idents: set[Identity] = set()
        for key in self.authorizer.keys:
            idents.add(from_key(key))
        for sa in self.model.service_accounts:
            idents.add(service_account(sa))
        for pod in self.model.pods:
            idents.add(service_account(self.model.service_account_of(pod)))
        for node in self.model.nodes:
            idents.add(user(f"{NODE_PREFIX}{node}"))
        if self.options.anonymous_auth:
            idents.add(user(ANONYMOUS))
        for username, extra in self.extra_groups.items():
            idents.add(user(username))
            idents.update(group(g) for g, _ in extra)
        idents.add(group(MASTERS))
        return {ident.subject: self.principal_of(ident, subject_platform_reason(ident)) for ident in sorted(idents)}

    def principal_of(self, ident: Identity, platform: str | None) -> Principal:
        """``ident`` with its groups: implicit ones, and for users those of :attr:`extra_groups`."""
        sources: list[tuple[str, str]] = [(g, "implicit") for g in ident.implicit_groups]
        if ident.kind == "User" and ident.name != ANONYMOUS:
            sources.extend(self.extra_groups.get(ident.name, ()))
        if ident.kind == "Group":
            sources = [(ident.name, "itself")]
        dedup = tuple(dict.fromkeys(sources))  # each (group, source) once; a group may have several sources
        return Principal(ident, tuple(dict.fromkeys(g for g, _ in dedup)), dedup, platform)

    @cached_property
    def members(self) -> dict[str, list[str]]:
        """Group → subjects of the non-group principals in it (sorted)."""
        out: dict[str, list[str]] = defaultdict(list)
        for p in self.principals.values():
            if p.identity.kind != "Group":
                for g in p.groups:
                    out[g].append(p.subject)
        return {g: sorted(v) for g, v in sorted(out.items())}

    def keys_of(self, p: Principal) -> frozenset[str]:
        """The principal keys that carry grants for ``p`` (its own and its groups')."""
        keys = {group(g).key for g in p.groups}
        if p.identity.kind != "Group":
            keys.add(p.own_key)
        return frozenset(k for k in keys if k in self.key_caps)

    @cached_property
    def public_groups(self) -> frozenset[str]:
        """Groups anyone can join without a cluster credential."""
        out = {UNAUTHENTICATED} if self.options.anonymous_auth else set()
        public = self.options.gke_authenticated_public
        if public is None:
            public = self.model.provider == "gke"
        if public:
            out.add(AUTHENTICATED)
        return frozenset(out)

    # ---- capabilities -------------------------------------------------------------------------
    @cached_property
    def key_caps(self) -> dict[str, dict[str, Caps]]:
        """Key → scope (``cluster`` or a namespace) → capabilities its own grants give."""
        out: dict[str, dict[str, Caps]] = defaultdict(lambda: defaultdict(dict))
        for g in self.authorizer.grants:
            if g.role is None:
                continue
            scope = g.binding.scope
            caps = out[g.key][scope]
            for i, rule in enumerate(g.role.rules):
                self.probes.add(caps, rule, Reason(g.binding.ref, g.role.ref, i, str(rule), g.subject.written,
                                                   scope), scope)
        return {k: dict(v) for k, v in out.items()}

    def scopes_of(self, keys: Iterable[str]) -> list[str]:
        """``cluster`` first, then every namespace where one of the keys has RoleBinding grants."""
        ns: set[str] = set()
        for k in keys:
            ns.update(s for s in self.key_caps.get(k, {}) if s != CLUSTER)
        return [CLUSTER, *sorted(ns)]

    def caps_for(self, keys: frozenset[str], scope: str) -> Caps:
        """Combined capabilities of ``keys`` at ``scope`` (cluster grants count in every namespace)."""
        memo = self._caps_memo.get((keys, scope))
        if memo is not None:
            return memo
        parts = [self.key_caps.get(k, {}).get(CLUSTER, {}) for k in sorted(keys)]
        if scope != CLUSTER:
            parts += [self.key_caps.get(k, {}).get(scope, {}) for k in sorted(keys)]
        caps = merge_caps(p for p in parts if p)
        self._caps_memo[(keys, scope)] = caps
        return caps

    # ---- catalog matches ----------------------------------------------------------------------
    def matches(self, keys: frozenset[str], rules: Iterable[CatalogRule] | None = None
                ) -> dict[tuple[str, str], Match]:
        """``(rule id, scope)`` → (needs met, rules that grant them) for the permission rules ``keys`` meet.

        A rule met cluster-wide is reported at ``cluster`` only; a namespace is reported only
        when its RoleBindings are needed for the rule to hold there.
        """
        rules = CATALOG if rules is None else tuple(rules)
        memo = self._match_memo.get(keys) if rules is CATALOG else None
        if memo is not None:
            return memo
        out: dict[tuple[str, str], Match] = {}
        cluster = self.caps_for(keys, CLUSTER)
        for scope in self.scopes_of(keys):
            caps = self.caps_for(keys, scope)
            for rule in rules:
                got = evaluate(rule, caps, scope, self.flags)
                if got is None:
                    continue
                if scope != CLUSTER and ((rule.id, CLUSTER) in out or
                                         evaluate(rule, cluster, scope, self.flags) is not None):
                    continue
                needs = tuple(dict.fromkeys(n for n, _ in got))
                reasons = tuple(dict.fromkeys(r for _, a in got for r in a.sources))
                out[(rule.id, scope)] = (needs, reasons)
        out = _drop_implied(out)
        if rules is CATALOG:
            self._match_memo[keys] = out
        return out

    def own_matches(self, p: Principal) -> dict[tuple[str, str], Match]:
        """Catalog matches to report for ``p``: those not already met by one of its groups alone.

        A match met by the principal's own bindings alone is always kept; one that needs the
        combination of several keys is kept; one that a single group meets on its own is left
        to that group's row.
        """
        keys = self.keys_of(p)
        if not keys:
            return {}
        if p.identity.kind == "Group" or keys == {p.own_key}:
            return self.matches(keys)
        group_keys = sorted(k for k in keys if k != p.own_key)
        own = self.matches(frozenset({p.own_key})) if p.own_key in keys else {}
        out: dict[tuple[str, str], Match] = {}
        for k, v in self.matches(keys).items():
            if k in own or not any(k in self.matches(frozenset({g})) for g in group_keys):
                out[k] = v
        return out


def _drop_implied(found: dict[tuple[str, str], Match]) -> dict[tuple[str, str], Match]:
    """Leave out what a wildcard match at the same (or cluster) scope already implies."""
    top = (CLUSTER_ADMIN_RULE.id, CLUSTER)
    if top in found:
        return {top: found[top]}
    wildcard = NAMESPACE_WILDCARD_RULE.id
    wild = {scope for rid, scope in found if rid == wildcard}
    return {(rid, scope): v for (rid, scope), v in found.items() if scope not in wild or rid == wildcard}
