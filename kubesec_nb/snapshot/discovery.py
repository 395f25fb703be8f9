"""API discovery: which of the resources kubesec-nb reads does a cluster serve, and at which version.

The collector asks ``/api`` and ``/apis`` once, preferring aggregated discovery
(``apidiscovery.k8s.io/v2``, stable since Kubernetes 1.30: every group, version and
resource in two responses) and falling back to the legacy documents (``APIVersions``,
``APIGroupList``, then one ``APIResourceList`` per group/version it needs). This module
holds the parsing and the version choice as pure functions over those JSON documents;
the HTTP requests live in :mod:`kubesec_nb.snapshot.collector`.

A resource whose group or version the server does not serve becomes a gap of reason
``absent`` without any list request. When discovery itself cannot be read (a proxy
that forbids it, an aggregated API server that is down), the collector tries the
versions of :class:`~kubesec_nb.snapshot.resources.ResourceSpec` in order and treats a
404 on the list as ``absent``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesec_nb.snapshot.resources import ResourceSpec

#: Ask for aggregated discovery (v2, then v2beta1), accepting the legacy documents otherwise.
ACCEPT_AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                     "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                     "application/json")

GroupVersion = tuple[str, str]


def group_version_path(group: str, version: str) -> str:
    """The URL path of a group/version.

    >>> group_version_path("", "v1"), group_version_path("apps", "v1")
    ('/api/v1', '/apis/apps/v1')
    """
    return f"/api/{version}" if not group else f"/apis/{group}/{version}"


def is_aggregated(doc: Any) -> bool:
    """True for an aggregated discovery document (``APIGroupDiscoveryList``).

    >>> is_aggregated({"kind": "APIGroupDiscoveryList", "items": []}), is_aggregated({"kind": "APIGroupList"})
    (True, False)
    """
    return isinstance(doc, dict) and doc.get("kind") == "APIGroupDiscoveryList"


def parse_aggregated(doc: Mapping[str, Any]) -> tuple[dict[str, list[str]], dict[GroupVersion, set[str]]]:
    """Groups (name → served versions, preferred first) and resources per group/version.

    >>> groups, res = parse_aggregated({"kind": "APIGroupDiscoveryList", "items": [
    ...     {"metadata": {"name": "apps"}, "versions": [{"version": "v1", "resources": [
    ...         {"resource": "deployments", "verbs": ["get", "list"]}]}]}]})
    >>> groups, res
    ({'apps': ['v1']}, {('apps', 'v1'): {'deployments'}})
    """
    groups: dict[str, list[str]] = {}
    resources: dict[GroupVersion, set[str]] = {}
    for item in doc.get("items") or []:
        if not isinstance(item, dict):
            continue
        name = str((item.get("metadata") or {}).get("name") or "")  # the core group is named ""
        for ver in item.get("versions") or []:
            if not isinstance(ver, dict) or not isinstance(ver.get("version"), str):
                continue
            groups.setdefault(name, []).append(ver["version"])
            resources[(name, ver["version"])] = {
                str(r["resource"]) for r in ver.get("resources") or []
                if isinstance(r, dict) and r.get("resource") and "list" in (r.get("verbs") or ["list"])}
    return groups, resources


def parse_legacy_groups(api_doc: Mapping[str, Any] | None, apis_doc: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Group → served versions from the legacy ``/api`` (``APIVersions``) and ``/apis`` (``APIGroupList``).

    The preferred version comes first, as in aggregated discovery.

    >>> parse_legacy_groups({"kind": "APIVersions", "versions": ["v1"]}, {"kind": "APIGroupList", "groups": [
    ...     {"name": "gateway.networking.k8s.io", "preferredVersion": {"version": "v1"},
    ...      "versions": [{"version": "v1beta1"}, {"version": "v1"}]}]})
    {'': ['v1'], 'gateway.networking.k8s.io': ['v1', 'v1beta1']}
    """
    groups: dict[str, list[str]] = {}
    if api_doc is not None:
        groups[""] = [str(v) for v in api_doc.get("versions") or [] if isinstance(v, str)]
    for g in (apis_doc or {}).get("groups") or []:
        if not isinstance(g, dict) or not isinstance(g.get("name"), str):
            continue
        versions = [str(v["version"]) for v in g.get("versions") or [] if isinstance(v, dict) and v.get("version")]
        preferred = (g.get("preferredVersion") or {}).get("version")
        if preferred in versions:
            versions.remove(preferred)
            versions.insert(0, preferred)
        groups[g["name"]] = versions
    return groups


def parse_resource_list(doc: Mapping[str, Any]) -> set[str]:
    """Resource names (no subresources) an ``APIResourceList`` serves with ``list``.

    >>> sorted(parse_resource_list({"kind": "APIResourceList", "resources": [
    ...     {"name": "pods", "verbs": ["list"]}, {"name": "pods/log", "verbs": ["get"]}]}))
    ['pods']
    """
    return {str(r["name"]) for r in doc.get("resources") or []
            if isinstance(r, dict) and isinstance(r.get("name"), str) and "/" not in r["name"]
            and "list" in (r.get("verbs") or ["list"])}


@dataclass
class Discovery:
    """What the server serves, as far as discovery told.

    ``groups`` is None when discovery could not be read at all; a group/version missing
    from ``resources`` (its ``APIResourceList`` failed) is treated as "maybe served".

    >>> from kubesec_nb.snapshot.resources import SPEC_BY_GR
    >>> d = Discovery(groups={"": ["v1"]}, resources={("", "v1"): {"pods"}})
    >>> d.candidates(SPEC_BY_GR["pods"])
    ['v1']
    >>> d.candidates(SPEC_BY_GR["ciliumnetworkpolicies.cilium.io"])
    []
    >>> d.absent_reason(SPEC_BY_GR["ciliumnetworkpolicies.cilium.io"])
    'API group cilium.io is not served'
    """

    groups: dict[str, list[str]] | None = None
    resources: dict[GroupVersion, set[str]] = field(default_factory=dict)
    mode: str = "unavailable"  # "aggregated", "legacy" or "unavailable"

    def needed(self, specs: Iterable[ResourceSpec]) -> list[GroupVersion]:
        """Group/versions whose ``APIResourceList`` the legacy path must still fetch, sorted."""
        if self.groups is None:
            return []
        out = {(s.group, v) for s in specs for v in s.versions
               if v in self.groups.get(s.group, []) and (s.group, v) not in self.resources}
        return sorted(out)

    def candidates(self, spec: ResourceSpec) -> list[str]:
        """The versions of ``spec`` to try, in the spec's order of preference."""
        if self.groups is None:
            return list(spec.versions)
        served = self.groups.get(spec.group, [])
        out = []
        for v in spec.versions:
            if v not in served:
                continue
            known = self.resources.get((spec.group, v))
            if known is None or spec.resource in known:
                out.append(v)
        return out

    def absent_reason(self, spec: ResourceSpec) -> str:
        """Why :meth:`candidates` is empty, in one phrase."""
        group = spec.group or "core"
        served = (self.groups or {}).get(spec.group)
        if not served:
            return f"API group {group} is not served"
        wanted = ", ".join(spec.versions)
        return f"{spec.resource} is not served at {group} {wanted} (the server serves {', '.join(served)})"
