"""PolicyRules and requests, and the authorizer's match functions.

The match functions follow ``pkg/apis/rbac/v1/evaluation_helpers.go`` and ``RuleAllows`` in
``plugin/pkg/auth/authorizer/rbac/rbac.go`` exactly:

* verbs, apiGroups: exact string or ``*``; ``""`` is the core group only.
* resources: ``*`` matches everything (subresources too); an exact ``pods/exec`` matches;
  ``*/exec`` matches the ``exec`` subresource of any resource; ``pods/*`` is *not* a wildcard
  (it only matches a literal subresource called ``*``); ``pods`` never matches ``pods/exec``.
* resourceNames: exact; an empty list matches every name; a request without a name (list,
  create of a top-level object) has the name ``""``, so it matches a rule that lists ``""`` and no
  other rule that lists names (``ResourceNameMatches`` compares strings).
* nonResourceURLs: ``*``, exact, or a prefix ending in ``*``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.errors import OptionError
from kubesec_nb.rbac.apiresources import DEFAULT_GROUP, carries_namespace

ALL = "*"


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str))


def shown_names(names: tuple[str, ...]) -> str:
    """resourceNames for display: the empty name (which matches nameless requests) as ``""``.

    >>> shown_names(("db", ""))
    'db,""'
    """
    return ",".join(n or '""' for n in names)


@dataclass(frozen=True)
class Rule:
    """One PolicyRule, as lists of strings.

    >>> r = Rule.from_dict({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]})
    >>> r.verbs, r.is_resource_rule, str(r)
    (('get',), True, 'get pods')
    """

    verbs: tuple[str, ...] = ()
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, rule: Mapping[str, Any]) -> Rule:
        """A rule from its API JSON (missing lists are empty)."""
        return cls(verbs=_strs(rule.get("verbs")), api_groups=_strs(rule.get("apiGroups")),
                   resources=_strs(rule.get("resources")), resource_names=_strs(rule.get("resourceNames")),
                   non_resource_urls=_strs(rule.get("nonResourceURLs")))

    @property
    def is_resource_rule(self) -> bool:
        return bool(self.resources)

    def to_dict(self) -> dict[str, list[str]]:
        """The rule as API JSON (empty lists left out)."""
        out = {"verbs": list(self.verbs), "apiGroups": list(self.api_groups), "resources": list(self.resources),
               "resourceNames": list(self.resource_names), "nonResourceURLs": list(self.non_resource_urls)}
        return {k: v for k, v in out.items() if v}

    def __str__(self) -> str:
        verbs = ",".join(self.verbs)
        parts = []
        if self.resources:
            groups = [g or "core" for g in self.api_groups]
            res = ",".join(self.resources)
            parts.append(f"{verbs} {res}" + (f" [{','.join(groups)}]" if groups != ["core"] else ""))
            if self.resource_names:
                parts[-1] += f" names={shown_names(self.resource_names)}"
        if self.non_resource_urls:
            parts.append(f"{verbs} {','.join(self.non_resource_urls)}")
        return "; ".join(parts) or f"{verbs} (nothing)"


@dataclass(frozen=True)
class Request:
    """Authorization attributes of one request, as the API server derives them.

    ``namespace`` is None for cluster-scoped requests (and cluster-wide lists); ``name`` is None
    for nameless requests; ``path`` is set for non-resource requests only.
    """

    verb: str
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str | None = None
    name: str | None = None
    path: str | None = None

    @property
    def is_resource_request(self) -> bool:
        return self.path is None

    @property
    def combined_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def __str__(self) -> str:
        if not self.is_resource_request:
            return f"{self.verb} {self.path}"
        res = self.combined_resource
        group = f" (group {self.api_group or 'core'})"
        named = f" named {self.name}" if self.name else ""
        where = f" in namespace {self.namespace}" if self.namespace else " cluster-wide"
        return f"{self.verb} {res}{group}{named}{where}"

    @classmethod
    def for_query(cls, verb: str, resource: str, namespace: str | None = None, name: str | None = None,
                  api_group: str | None = None) -> Request:
        """Read a query the way ``kubectl auth can-i`` does.

        ``resource`` is ``resource[.group][/subresource]`` (``deployments.apps``, ``pods/exec``,
        ``deployments.apps/scale``) or a non-resource path starting with ``/``. A bare name
        takes the group of the built-in resource of that name (``deployments`` → ``apps``),
        else the core group; ``*`` means every resource of every group. A namespace is
        dropped for cluster-scoped resources; a request on one Namespace object is
        evaluated in that namespace, as the API server does; so is ``bind`` on a ClusterRole,
        which the API server checks in the namespace of the RoleBinding being written.

        >>> Request.for_query("create", "pods/exec", "shop", "web")
        Request(verb='create', api_group='', resource='pods', subresource='exec', namespace='shop', name='web', \
path=None)
        >>> Request.for_query("patch", "namespaces", name="shop").namespace
        'shop'
        >>> Request.for_query("get", "nodes", "shop").namespace is None
        True
        >>> Request.for_query("create", "deployments").api_group
        'apps'
        """
        if not isinstance(verb, str) or not verb:
            raise OptionError(f"verb must be a non-empty string, got {verb!r}")
        if not isinstance(resource, str) or not resource:
            raise OptionError(f"resource must be a non-empty string, got {resource!r}")
        if resource.startswith("/"):
            return cls(verb=verb, path=resource)
        base, _, sub = resource.partition("/")
        res, dot, group = base.partition(".")
        if api_group is not None:
            group = api_group
        elif not dot:
            group = ALL if res == ALL else DEFAULT_GROUP.get(res, "")
        ns = namespace or None
        if res == "namespaces" and name:
            ns = name
        elif not carries_namespace(verb, group, res):
            ns = None
        return cls(verb=verb, api_group=group, resource=res, subresource=sub, namespace=ns, name=name or None)


def verb_matches(rule: Rule, verb: str) -> bool:
    """``VerbMatches``: a rule verb equals the request verb or is ``*``.

    >>> verb_matches(Rule(verbs=("*",)), "escalate"), verb_matches(Rule(verbs=("get",)), "list")
    (True, False)
    """
    return any(v in (ALL, verb) for v in rule.verbs)


def api_group_matches(rule: Rule, group: str) -> bool:
    """``APIGroupMatches``: ``""`` is the core group only; ``*`` is every group.

    >>> api_group_matches(Rule(api_groups=("",)), "apps"), api_group_matches(Rule(api_groups=("*",)), "")
    (False, True)
    """
    return any(g in (ALL, group) for g in rule.api_groups)


def resource_matches(rule: Rule, combined: str, subresource: str) -> bool:
    """``ResourceMatches``: ``*``, exact ``resource[/subresource]``, or ``*/subresource``.

    >>> resource_matches(Rule(resources=("*/exec",)), "pods/exec", "exec")
    True
    >>> resource_matches(Rule(resources=("pods/*",)), "pods/exec", "exec")
    False
    >>> resource_matches(Rule(resources=("pods",)), "pods/exec", "exec")
    False
    """
    for r in rule.resources:
        if r in (ALL, combined):
            return True
        if subresource and len(r) == len(subresource) + 2 and r.startswith("*/") and r.endswith(subresource):
            return True
    return False


def resource_name_matches(rule: Rule, name: str | None) -> bool:
    """``ResourceNameMatches``: no names in the rule match all; else an exact name is needed, and a
    nameless request (None) has the name ``""``.

    >>> resource_name_matches(Rule(resource_names=("a",)), None), resource_name_matches(Rule(), None)
    (False, True)
    >>> resource_name_matches(Rule(resource_names=("",)), None)
    True
    """
    if not rule.resource_names:
        return True
    return (name or "") in rule.resource_names


def non_resource_url_matches(rule: Rule, path: str) -> bool:
    """``NonResourceURLMatches``: ``*``, exact, or a prefix ending in ``*``.

    >>> non_resource_url_matches(Rule(non_resource_urls=("/healthz/*",)), "/healthz/etcd")
    True
    >>> non_resource_url_matches(Rule(non_resource_urls=("/healthz",)), "/healthz/etcd")
    False
    """
    for u in rule.non_resource_urls:
        if u in (ALL, path):
            return True
        if u.endswith("*") and path.startswith(u.rstrip("*")):
            return True
    return False


def rule_allows(rule: Rule, req: Request) -> bool:
    """``RuleAllows``: whether one rule allows one request.

    >>> rule_allows(Rule(verbs=("get",), api_groups=("",), resources=("pods",)), Request("get", "", "pods"))
    True
    """
    if req.is_resource_request:
        return (verb_matches(rule, req.verb) and api_group_matches(rule, req.api_group)
                and resource_matches(rule, req.combined_resource, req.subresource)
                and resource_name_matches(rule, req.name))
    return verb_matches(rule, req.verb) and non_resource_url_matches(rule, req.path or "")
