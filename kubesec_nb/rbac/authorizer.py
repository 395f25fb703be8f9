"""The RBAC authorizer: which bindings apply to a caller, and whether a request is allowed.

Follows ``DefaultRuleResolver.VisitRulesFor`` and ``RBACAuthorizer.Authorize``: every
ClusterRoleBinding whose subjects include the caller applies to every request; RoleBindings
apply only to requests in their own namespace (so never to cluster-scoped resources or
non-resource URLs). Permissions are a union; nothing denies. The hard-wired
``system:masters`` group is allowed everything without any binding, as the API server's
privileged-group authorizer does before RBAC runs.

Unlike the API server, a Decision lists *every* rule that allows the request (the server
stops at the first), so that an analyst sees all the grants to remove.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from kubesec_nb.rbac.objects import BindingRecord, RbacObjects, RoleRecord, SubjectRef
from kubesec_nb.rbac.rules import Request, rule_allows
from kubesec_nb.rbac.subjects import MASTERS, group, user


@dataclass(frozen=True)
class Grant:
    """One (binding subject, binding, role) triple: a principal key holds a role's rules at a scope."""

    key: str
    binding: BindingRecord
    subject: SubjectRef
    role: RoleRecord | None

    @property
    def scope(self) -> str:
        return self.binding.scope


@dataclass(frozen=True)
class Reason:
    """One rule that allows a request, and how it reaches the caller."""

    binding: str
    role: str
    rule_index: int
    rule: str
    subject: str
    scope: str

    def __str__(self) -> str:
        return (f"{self.binding} (subject {self.subject}) grants {self.role} rules[{self.rule_index}]: "
                f"{self.rule}")


@dataclass(frozen=True)
class Decision:
    """The answer to "can this subject do this?": truthy when allowed.

    ``reasons`` are the rules that allow it; ``dangling`` the bindings of this caller (in the
    request's scope) whose role does not exist; ``notes`` say how the query was read.
    """

    allowed: bool
    subject: str
    request: Request
    groups: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()
    dangling: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    masters: bool = False
    assessed: bool = True

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def why(self) -> list[str]:
        """Human-readable explanation, one line per reason (or why nothing allowed it)."""
        lines: list[str] = []
        if self.masters:
            lines.append(f"{self.subject} is in group {MASTERS}: the API server allows every request "
                         "from it without consulting RBAC")
        lines.extend(str(r) for r in self.reasons)
        if not self.allowed:
            lines.append(f"no RBAC rule allows {self.subject} (groups: {', '.join(self.groups) or 'none'}) "
                         f"to {self.request}")
        lines.extend(f"{d} points to a role that does not exist (grants nothing)" for d in self.dangling)
        lines.extend(self.notes)
        return lines

    def __str__(self) -> str:
        head = "ALLOWED" if self.allowed else ("NOT ASSESSED" if not self.assessed else "DENIED")
        return "\n".join([f"{head}: {self.subject} {self.request}", *(f"  {w}" for w in self.why)])

    def __repr__(self) -> str:
        return f"<Decision {'allowed' if self.allowed else 'denied'}: {self.subject} {self.request}>"

    def _repr_pretty_(self, p: object, cycle: bool) -> None:  # IPython display
        p.text(str(self))  # type: ignore[attr-defined]


@dataclass
class Authorizer:
    """Bindings indexed by principal key, and the authorization decision over them."""

    objects: RbacObjects
    _crb: dict[str, list[Grant]] = field(default_factory=dict, init=False, repr=False)
    _rb: dict[tuple[str, str], list[Grant]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        crb: dict[str, list[Grant]] = defaultdict(list)
        rb: dict[tuple[str, str], list[Grant]] = defaultdict(list)
        for g in self.grants:
            if g.binding.kind == "ClusterRoleBinding":
                crb[g.key].append(g)
            else:
                rb[(g.binding.namespace, g.key)].append(g)
        self._crb, self._rb = dict(crb), dict(rb)

    @cached_property
    def grants(self) -> list[Grant]:
        """Every (key, binding, role) triple, bindings in order; a binding naming a subject twice counts once."""
        out: list[Grant] = []
        for b in self.objects.bindings:
            role = self.objects.role_of(b)
            seen: set[str] = set()
            for s in b.subjects:
                if s.key is None or s.key in seen:
                    continue
                seen.add(s.key)
                out.append(Grant(s.key, b, s, role))
        return out

    @cached_property
    def keys(self) -> frozenset[str]:
        """Every principal key some binding names."""
        return frozenset(g.key for g in self.grants)

    def grants_for(self, keys: Iterable[str], namespace: str | None) -> Iterator[Grant]:
        """Grants that apply to a caller with these principal keys for a request in ``namespace``."""
        ks = sorted(set(keys))
        for k in ks:
            yield from self._crb.get(k, ())
        if namespace:
            for k in ks:
                yield from self._rb.get((namespace, k), ())

    def authorize(self, subject: str, username: str, groups: Iterable[str], req: Request,
                  notes: tuple[str, ...] = ()) -> Decision:
        """Decide ``req`` for a caller with ``username`` and ``groups``; ``subject`` is for display.

        An empty ``username`` stands for "a member of these groups" (``Group:g`` queries).
        """
        groups = tuple(dict.fromkeys(groups))
        keys = [group(g).key for g in groups] + ([user(username).key] if username else [])
        reasons: list[Reason] = []
        dangling: list[str] = []
        for g in self.grants_for(keys, req.namespace):
            if g.role is None:
                dangling.append(f"{g.binding.ref} (subject {g.subject.written}) → {g.binding.role_ref}")
                continue
            for i, rule in enumerate(g.role.rules):
                if rule_allows(rule, req):
                    reasons.append(Reason(g.binding.ref, g.role.ref, i, str(rule), g.subject.written, g.scope))
        masters = MASTERS in groups
        missing = self.objects.missing
        if missing:
            notes = (*notes, f"RBAC objects are incomplete ({missing}): a denial may be wrong")
        return Decision(allowed=masters or bool(reasons), subject=subject, request=req, groups=groups,
                        reasons=tuple(reasons), dangling=tuple(sorted(set(dangling))), notes=notes,
                        masters=masters, assessed=not (missing and not (masters or reasons)))
