"""The typed layer agrees with the official Kubernetes OpenAPI schemas, field by field.

``kubernetes-validate`` ships the OpenAPI definitions of every Kubernetes minor as JSON
Schema. For each built-in kind in :data:`kubesec_nb.snapshot.schema.TYPES`, this walks the
struct and the upstream definition together and checks that every field the struct lists
exists upstream with a compatible type (string, integer, boolean, array, object, map,
IntOrString), and that every field the struct requires is required upstream too: the typed
layer can refuse only what the API server would not have stored. Custom resources (Gateway
API, Kyverno, ...) have no upstream definition here and are skipped.

``kubernetes-validate`` itself is not used at run time: it validates with the pure-Python
``jsonschema`` at about 20 ms per object (10 minutes for a 30,000-object dump), enforces
create-time ``required`` fields that real manifests omit (metrics-server's Deployment has no
``selector`` until kustomize adds it), and is a 22 MB wheel of 17,000 files.
"""

from __future__ import annotations

import json
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pytest

from kubesec_nb.snapshot import schema

kubernetes_validate = pytest.importorskip("kubernetes_validate")
SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
VERSIONS = ("v1.30.0", "v1.37.0")

#: Upstream definition of each kind's struct: (group, kind) -> definition name.
DEFS = {
    ("", "Pod"): "io.k8s.api.core.v1.Pod", ("", "Namespace"): "io.k8s.api.core.v1.Namespace",
    ("", "Node"): "io.k8s.api.core.v1.Node", ("", "ServiceAccount"): "io.k8s.api.core.v1.ServiceAccount",
    ("", "Service"): "io.k8s.api.core.v1.Service", ("", "ConfigMap"): "io.k8s.api.core.v1.ConfigMap",
    ("", "Secret"): "io.k8s.api.core.v1.Secret",
    ("", "ReplicationController"): "io.k8s.api.core.v1.ReplicationController",
    ("apps", "Deployment"): "io.k8s.api.apps.v1.Deployment", ("apps", "DaemonSet"): "io.k8s.api.apps.v1.DaemonSet",
    ("apps", "StatefulSet"): "io.k8s.api.apps.v1.StatefulSet", ("apps", "ReplicaSet"): "io.k8s.api.apps.v1.ReplicaSet",
    ("batch", "Job"): "io.k8s.api.batch.v1.Job", ("batch", "CronJob"): "io.k8s.api.batch.v1.CronJob",
    ("rbac.authorization.k8s.io", "Role"): "io.k8s.api.rbac.v1.Role",
    ("rbac.authorization.k8s.io", "ClusterRole"): "io.k8s.api.rbac.v1.ClusterRole",
    ("rbac.authorization.k8s.io", "RoleBinding"): "io.k8s.api.rbac.v1.RoleBinding",
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): "io.k8s.api.rbac.v1.ClusterRoleBinding",
    ("discovery.k8s.io", "EndpointSlice"): "io.k8s.api.discovery.v1.EndpointSlice",
    ("networking.k8s.io", "NetworkPolicy"): "io.k8s.api.networking.v1.NetworkPolicy",
    ("networking.k8s.io", "Ingress"): "io.k8s.api.networking.v1.Ingress",
    ("networking.k8s.io", "IngressClass"): "io.k8s.api.networking.v1.IngressClass",
}
# Struct fields that stand for a wider upstream shape on purpose (the analyzers read only these parts).
NARROWED = {
    # a probe and a lifecycle handler share the two actions whose ``host`` Pod Security reads
    ("io.k8s.api.core.v1.Probe", "httpGet"), ("io.k8s.api.core.v1.LifecycleHandler", "httpGet"),
}


@cache
def definitions(version: str) -> dict[str, Any]:
    path = SCHEMAS / f"{version}-local" / "_definitions.json"
    return json.loads(path.read_text())["$defs"]  # type: ignore[no-any-return]


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _json_types(node: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    node = _resolve(node, defs)
    if "oneOf" in node:
        return set().union(*(_json_types(n, defs) for n in node["oneOf"]))
    t = node.get("type", "object" if "properties" in node else "any")
    return ({t} if isinstance(t, str) else set(t)) - {"null"}


def _check(tp: Any, node: dict[str, Any], defs: dict[str, Any], where: str, problems: list[str]) -> None:
    """Compare a struct type with an upstream schema node, recording every disagreement in ``problems``."""
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    union = typing.get_origin(tp) in (typing.Union, types.UnionType)
    options = [a for a in typing.get_args(tp) if a is not type(None)] if union else [tp]
    upstream = _json_types(node, defs)
    for opt in options:
        if typing.get_origin(opt) is typing.Annotated:
            opt = typing.get_args(opt)[0]
        origin = typing.get_origin(opt)
        if opt is Any or "any" in upstream:
            continue
        if opt is str:
            ok = "string" in upstream
        elif opt is int:
            ok = "integer" in upstream
        elif opt is bool:
            ok = "boolean" in upstream
        elif origin is list:
            ok = "array" in upstream
            if ok:
                _check(typing.get_args(opt)[0], _resolve(node, defs).get("items", {}), defs, f"{where}[]", problems)
        elif origin is dict:
            ok = "object" in upstream
            extra = _resolve(node, defs).get("additionalProperties")
            if ok and isinstance(extra, dict):
                _check(typing.get_args(opt)[1], extra, defs, f"{where}{{}}", problems)
        elif isinstance(opt, type) and issubclass(opt, msgspec.Struct):
            ok = "object" in upstream
            if ok:
                _check_struct(opt, _resolve(node, defs), defs, where, problems)
        else:
            ok = False
        if not ok:
            problems.append(f"{where}: {opt} against upstream {sorted(upstream)}")


def _check_struct(struct: type[msgspec.Struct], node: dict[str, Any], defs: dict[str, Any], where: str,
                  problems: list[str]) -> None:
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    props = node.get("properties", {})
    required = set(node.get("required", ()))
    name = next((k for k, v in defs.items() if v is node), "?")
    hints = typing.get_type_hints(struct, include_extras=True)
    for f in info.fields:
        path = f"{where}.{f.encode_name}" if where else f.encode_name
        if f.encode_name not in props:
            problems.append(f"{path}: not an upstream field of {name}")
            continue
        if f.required and f.encode_name not in required and f.encode_name not in ("apiVersion", "kind", "metadata"):
            problems.append(f"{path}: required here, optional upstream")
        if (name, f.encode_name) in NARROWED:
            continue
        _check(hints[f.name], props[f.encode_name], defs, path, problems)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("group", "kind"), sorted(DEFS))
def test_struct_agrees_with_upstream_openapi(group: str, kind: str, version: str) -> None:
    defs = definitions(version)
    problems: list[str] = []
    _check_struct(schema.TYPES[(group, kind)], defs[DEFS[(group, kind)]], defs, "", problems)
    assert not problems, "\n".join(problems)


def test_every_built_in_kind_is_compared() -> None:
    builtin = {k for k in schema.TYPES if k[0] in ("", "apps", "batch", "rbac.authorization.k8s.io",
                                                    "discovery.k8s.io", "networking.k8s.io")}
    assert builtin == set(DEFS)


def test_audit_summary_version_matches_the_writer() -> None:
    from kubesec_nb.snapshot.auditlog import SUMMARY_VERSION

    assert typing.get_args(typing.get_type_hints(schema.AuditSummary)["version"]) == (SUMMARY_VERSION,)
