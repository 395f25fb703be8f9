"""Capabilities: which probe requests a set of grants allows, with the names it is limited to.

A *probe* is a request shape (``create pods``, ``get pods/exec``, ``impersonate groups``). For
each principal key and scope we record, per probe, the resourceNames it is limited to (None =
every name) and the rules that allow it. The matching is the authorizer's (verbs, apiGroups,
resources exactly as :mod:`kubesec_nb.rbac.rules`); only the name is left open, so one pass
answers both "can it do this to anything?" and "to which names?". Capabilities of several
keys combine by union, as permissions do.

Scope rules: at a RoleBinding's scope, probes on cluster-scoped resources and non-resource
URLs are never allowed (such requests carry no namespace), and a rule on ``namespaces``
applies to the binding's own namespace only.

Names: a nameless request (list, watch, deletecollection, create of a top-level object) has
the name ``""`` upstream, so a rule whose resourceNames include ``""`` allows such a probe in
full: its allowance is "every name" (a list then returns every object).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from kubesec_nb.rbac.apiresources import carries_namespace
from kubesec_nb.rbac.authorizer import Reason
from kubesec_nb.rbac.rules import (
    ALL,
    Request,
    Rule,
    api_group_matches,
    non_resource_url_matches,
    resource_matches,
    verb_matches,
)

CLUSTER = "cluster"
#: The scope "every namespace": a role bound by RoleBindings in each namespace (cluster-wide ``create
#: rolebindings``); cluster-scoped resources and non-resource URLs are out of reach, as for one RoleBinding.
EVERY_NAMESPACE = "*"


@dataclass(frozen=True)
class Probe:
    """A request shape: a verb and ``resource[.group][/subresource]`` (or a ``/path``).

    ``any_subresource`` asks for *some* subresource of the resource (``userextras/<key>``):
    rules on ``*``, ``*/<x>`` and ``<resource>/<x>`` allow it.

    >>> Probe("create", "pods/exec").request.subresource
    'exec'
    """

    verb: str
    resource: str
    any_subresource: bool = False

    @cached_property
    def request(self) -> Request:
        return Request.for_query(self.verb, self.resource)

    @cached_property
    def cluster_only(self) -> bool:
        """True when no RoleBinding can grant it (cluster-scoped resource or non-resource URL)."""
        r = self.request
        if not r.is_resource_request:
            return True
        return r.resource != "namespaces" and not carries_namespace(r.verb, r.api_group, r.resource)

    @cached_property
    def nameless(self) -> bool:
        """True for request shapes that carry no object name (list, watch, deletecollection, create).

        >>> Probe("list", "secrets").nameless, Probe("create", "pods/exec").nameless
        (True, False)
        """
        r = self.request
        return r.is_resource_request and (r.verb in ("list", "watch", "deletecollection")
                                          or (r.verb == "create" and not r.subresource))

    def matches(self, rule: Rule) -> bool:
        """Whether ``rule`` allows this request shape for some name."""
        r = self.request
        if not r.is_resource_request:
            return verb_matches(rule, r.verb) and non_resource_url_matches(rule, r.path or "")
        if not (verb_matches(rule, r.verb) and api_group_matches(rule, r.api_group)):
            return False
        if self.any_subresource:
            prefix = f"{r.resource}/"
            return any(x == ALL or x.startswith("*/") or x.startswith(prefix) for x in rule.resources)
        return resource_matches(rule, r.combined_resource, r.subresource)

    def __str__(self) -> str:
        return f"{self.verb} {self.resource}{'/<any>' if self.any_subresource else ''}"


Names = frozenset[str] | None


@dataclass(frozen=True)
class Allowance:
    """A probe allowed for ``names`` (None = every name) by the rules in ``sources``."""

    names: Names
    sources: tuple[Reason, ...]

    def merge(self, other: Allowance) -> Allowance:
        names = None if self.names is None or other.names is None else self.names | other.names
        return Allowance(names, tuple(dict.fromkeys((*self.sources, *other.sources))))

    def allows(self, name: str | None) -> bool:
        """Whether a request with this name (None = nameless, the name ``""`` upstream) is allowed."""
        return self.names is None or (name or "") in self.names


Caps = dict[Probe, Allowance]


def merge_caps(parts: Iterable[Mapping[Probe, Allowance]]) -> Caps:
    """Union of capability maps."""
    out: Caps = {}
    for caps in parts:
        for p, a in caps.items():
            cur = out.get(p)
            out[p] = a if cur is None else cur.merge(a)
    return out


@dataclass
class ProbeIndex:
    """The probes of interest, and a per-rule cache of the ones a rule allows."""

    probes: tuple[Probe, ...]
    _cache: dict[Rule, tuple[Probe, ...]] = field(default_factory=dict, repr=False)

    def hits(self, rule: Rule) -> tuple[Probe, ...]:
        got = self._cache.get(rule)
        if got is None:
            got = tuple(p for p in self.probes if p.matches(rule))
            self._cache[rule] = got
        return got

    def add(self, caps: Caps, rule: Rule, reason: Reason, scope: str) -> None:
        """Add what one rule granted at ``scope`` (``cluster`` or a namespace) to ``caps``."""
        for p in self.hits(rule):
            if scope != CLUSTER and p.cluster_only:
                continue
            names: Names = frozenset(rule.resource_names) if rule.resource_names else None
            if names is not None and p.nameless and "" in names:
                names = None  # the nameless request matches "" (ResourceNameMatches): allowed in full
            if scope not in (CLUSTER, EVERY_NAMESPACE) and p.request.resource == "namespaces":
                # A RoleBinding reaches only its own Namespace object.
                if names is not None and scope not in names:
                    continue
                names = frozenset({scope})
            a = Allowance(names, (reason,))
            cur = caps.get(p)
            caps[p] = a if cur is None else cur.merge(a)
