"""Secrets handling: how workloads consume Secrets, credentials in plain sight, service-account
tokens, and the use of an external secret manager.

No value is ever read here: literal credentials arrive as ``<redacted:DETECTOR>`` markers
(:mod:`kubesec_nb.snapshot.redact` replaces them at load time), so the tables carry the
detector name, the field path and the variable or key *name* only.

Decisions (implementation-defined, documented):

* a service account "needs API access" when some RoleBinding or ClusterRoleBinding names
  it, directly or through the group ``system:serviceaccounts`` or
  ``system:serviceaccounts:<ns>`` (bindings named ``system:*`` through a group are the
  platform's defaults and do not count); the ``api_access_service_accounts`` option adds
  ``ns/name`` (or ``ns/*``) entries that need it regardless;
* the token is mounted when ``spec.automountServiceAccountToken`` of the pod, else of its
  service account, is not ``false`` (the pod wins, as in the ServiceAccount admission plugin);
* a namespace uses an external secret manager when a pod in it mounts a Secrets Store CSI
  volume or an ExternalSecret lives in it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

import pandas as pd

from kubesec_nb.identity import SERVICEACCOUNTS, binding_subject
from kubesec_nb.model import Model, object_key
from kubesec_nb.workload._common import PodRef, collapse, containers, detectors

CSI_DRIVER = "secrets-store.csi.k8s.io"
LEGACY_TOKEN_TYPE = "kubernetes.io/service-account-token"

SECRET_REF_COLUMNS = ["namespace", "workload", "container", "secret", "key", "via", "field"]


def secret_refs(pods: Sequence[PodRef]) -> pd.DataFrame:
    """Every reference from a workload to a Secret: ``via`` is ``env``, ``envFrom``, ``volume``,
    ``projected`` or ``imagePullSecrets``; one row per workload and reference.
    """
    rows: list[dict[str, Any]] = []
    for ref in pods:
        spec = ref.pod.get("spec") or {}
        base = {"namespace": ref.namespace, "workload": ref.owner, "pod": ref.key}
        for path, c in containers(spec):
            name = c.get("name", "")
            for i, env in enumerate(c.get("env") or ()):
                skr = ((env or {}).get("valueFrom") or {}).get("secretKeyRef")
                if skr:
                    rows.append({**base, "container": name, "secret": skr.get("name", ""), "key": skr.get("key", ""),
                                 "via": "env", "field": f"{path}.env[{i}].valueFrom.secretKeyRef"})
            for i, src in enumerate(c.get("envFrom") or ()):
                sr = (src or {}).get("secretRef")
                if sr:
                    rows.append({**base, "container": name, "secret": sr.get("name", ""), "key": "*",
                                 "via": "envFrom", "field": f"{path}.envFrom[{i}].secretRef"})
        for i, v in enumerate(spec.get("volumes") or ()):
            v = v or {}
            if v.get("secret"):
                rows.append({**base, "container": "", "secret": v["secret"].get("secretName", ""), "key": "*",
                             "via": "volume", "field": f"spec.volumes[{i}].secret"})
            for j, s in enumerate((v.get("projected") or {}).get("sources") or ()):
                if (s or {}).get("secret"):
                    rows.append({**base, "container": "", "secret": s["secret"].get("name", ""), "key": "*",
                                 "via": "projected", "field": f"spec.volumes[{i}].projected.sources[{j}].secret"})
        for i, ips in enumerate(spec.get("imagePullSecrets") or ()):
            rows.append({**base, "container": "", "secret": (ips or {}).get("name", ""), "key": "*",
                         "via": "imagePullSecrets", "field": f"spec.imagePullSecrets[{i}]"})
    return collapse(rows, SECRET_REF_COLUMNS, ["namespace", "workload", "container", "secret", "field"])


CREDENTIAL_COLUMNS = ["namespace", "kind", "object", "container", "source", "name", "detector", "field"]


def credentials(pods: Sequence[PodRef], configmaps: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Literal values that look like credentials: env values, command/args and ConfigMap entries.

    ``kind`` is ``workload`` or ``ConfigMap``; ``source`` is ``env``, ``args``, ``command`` or
    ``data``; ``name`` is the variable, argument index or key name; ``detector`` the redaction
    detector (``aws-access-key-id``, ``key-name``, ``high-entropy`` ...). Values never appear.
    """
    rows: list[dict[str, Any]] = []
    for ref in pods:
        for path, c in containers(ref.pod.get("spec") or {}):
            base = {"namespace": ref.namespace, "kind": "workload", "object": ref.owner,
                    "container": c.get("name", ""), "pod": ref.key}
            for i, env in enumerate(c.get("env") or ()):
                for d in detectors((env or {}).get("value")):
                    rows.append({**base, "source": "env", "name": str((env or {}).get("name", "")), "detector": d,
                                 "field": f"{path}.env[{i}].value"})
            for fld in ("command", "args"):
                for i, arg in enumerate(c.get(fld) or ()):
                    for d in detectors(arg):
                        flag = arg.split("=", 1)[0] if isinstance(arg, str) and arg.startswith("-") else f"[{i}]"
                        rows.append({**base, "source": fld, "name": flag, "detector": d,
                                     "field": f"{path}.{fld}[{i}]"})
    for cm in configmaps:
        meta = cm.get("metadata") or {}
        for k, value in sorted((cm.get("data") or {}).items()):
            for d in detectors(value):
                rows.append({"namespace": meta.get("namespace", ""), "kind": "ConfigMap",
                             "object": meta.get("name", ""), "container": "", "source": "data", "name": k,
                             "detector": d, "field": f"data[{k}]", "pod": ""})
    return collapse(rows, CREDENTIAL_COLUMNS, ["namespace", "kind", "object", "container", "field", "detector"])


def configmap_consumers(pods: Sequence[PodRef]) -> dict[str, list[str]]:
    """``ns/configmap`` → sorted workloads that read it (env, envFrom, volume, projected)."""
    out: dict[str, set[str]] = defaultdict(set)
    for ref in pods:
        spec = ref.pod.get("spec") or {}
        for _, c in containers(spec):
            for env in c.get("env") or ():
                cm = ((env or {}).get("valueFrom") or {}).get("configMapKeyRef")
                if cm:
                    out[f"{ref.namespace}/{cm.get('name', '')}"].add(ref.owner)
            for src in c.get("envFrom") or ():
                cm = (src or {}).get("configMapRef")
                if cm:
                    out[f"{ref.namespace}/{cm.get('name', '')}"].add(ref.owner)
        for v in spec.get("volumes") or ():
            v = v or {}
            if v.get("configMap"):
                out[f"{ref.namespace}/{v['configMap'].get('name', '')}"].add(ref.owner)
            for s in (v.get("projected") or {}).get("sources") or ():
                if (s or {}).get("configMap"):
                    out[f"{ref.namespace}/{s['configMap'].get('name', '')}"].add(ref.owner)
    return {k: sorted(v) for k, v in sorted(out.items())}


def bindings_by_service_account(model: Model) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """RBAC bindings naming service accounts: ``(by "ns/name", by namespace group, all-SA group)``,
    each a list of ``Kind ns/name`` binding labels."""
    direct: dict[str, list[str]] = defaultdict(list)
    by_ns: dict[str, list[str]] = defaultdict(list)
    everyone: list[str] = []
    for res, kind in (("rolebindings.rbac.authorization.k8s.io", "RoleBinding"),
                      ("clusterrolebindings.rbac.authorization.k8s.io", "ClusterRoleBinding")):
        for b in model.items(res):
            label = f"{kind} {object_key(b)}"
            bns = (b.get("metadata") or {}).get("namespace")
            name = str((b.get("metadata") or {}).get("name", ""))
            for s in b.get("subjects") or ():
                ident = binding_subject(s or {}, bns)
                if ident is None:
                    continue
                if ident.kind == "ServiceAccount":
                    direct[ident.ref].append(label)
                elif ident.kind == "Group" and not name.startswith("system:"):
                    if ident.name == SERVICEACCOUNTS:
                        everyone.append(label)
                    elif ident.name.startswith(f"{SERVICEACCOUNTS}:"):
                        by_ns[ident.name[len(SERVICEACCOUNTS) + 1:]].append(label)
    return dict(direct), dict(by_ns), everyone


TOKEN_COLUMNS = ["namespace", "workload", "service_account", "automount", "decided_by", "field", "bindings",
                 "needs_api"]


def tokens(model: Model, pods: Sequence[PodRef], api_access: Sequence[str] = ()) -> pd.DataFrame:
    """Per workload: its service account, whether the token is automounted and who decided it, the
    bindings that give the account API access, and whether it needs the token (see module docstring).
    """
    direct, by_ns, everyone = bindings_by_service_account(model)
    need: dict[str, tuple[tuple[str, ...], bool]] = {}  # per service account: bindings, needs the API
    rows = []
    for ref in pods:
        sa = model.service_account_of(ref.pod)
        mount, by, field = model.automount(ref.pod)
        hit = need.get(sa)
        if hit is None:
            binds = tuple(sorted(set(direct.get(sa, []) + by_ns.get(ref.namespace, []) + everyone)))
            hit = need[sa] = (binds, bool(binds) or any(fnmatchcase(sa, pat) for pat in api_access))
        rows.append({"namespace": ref.namespace, "workload": ref.owner, "service_account": sa, "automount": mount,
                     "decided_by": by, "field": field, "bindings": hit[0], "needs_api": hit[1], "pod": ref.key})
    return collapse(rows, TOKEN_COLUMNS, ["namespace", "workload", "service_account"])


LEGACY_COLUMNS = ["namespace", "secret", "service_account", "service_account_exists", "last_used", "invalid_since",
                  "mounted_by"]


def legacy_tokens(model: Model, refs: pd.DataFrame) -> pd.DataFrame:
    """Long-lived ``kubernetes.io/service-account-token`` Secrets, with the account they stand for,
    the ``kubernetes.io/legacy-token-last-used`` / ``-invalid-since`` labels (1.29+) and the workloads
    that mount them (as a secret volume or an env ``secretKeyRef``, from the :func:`secret_refs` table)."""
    users: dict[str, set[str]] = defaultdict(set)
    if not refs.empty:
        used = refs[refs["via"].isin(("volume", "env"))]
        for ns, secret, workload in zip(used["namespace"], used["secret"], used["workload"], strict=True):
            users[f"{ns}/{secret}"].add(workload)
    rows = []
    for s in model.items("secrets"):
        if s.get("type") != LEGACY_TOKEN_TYPE:
            continue
        meta = s.get("metadata") or {}
        ns = str(meta.get("namespace", ""))
        ann, labels = meta.get("annotations") or {}, meta.get("labels") or {}
        sa = f"{ns}/{ann.get('kubernetes.io/service-account.name', '')}"
        rows.append({"namespace": ns, "secret": meta.get("name", ""), "service_account": sa,
                     "service_account_exists": sa in model.service_accounts,
                     "last_used": labels.get("kubernetes.io/legacy-token-last-used", ""),
                     "invalid_since": labels.get("kubernetes.io/legacy-token-invalid-since", ""),
                     "mounted_by": tuple(sorted(users.get(f"{ns}/{meta.get('name', '')}", ())))})
    df = pd.DataFrame(rows, columns=LEGACY_COLUMNS)
    return df.sort_values(["namespace", "secret"]).reset_index(drop=True) if not df.empty else df


#: ExternalSecrets provider keys → the secret manager they read.
ESO_PROVIDERS = {"aws": "AWS Secrets Manager", "gcpsm": "GCP Secret Manager", "azurekv": "Azure Key Vault",
                 "vault": "HashiCorp Vault", "ibm": "IBM Secrets Manager", "akeyless": "Akeyless",
                 "doppler": "Doppler", "onepassword": "1Password", "kubernetes": "Kubernetes (another cluster)"}
#: SecretProviderClass ``spec.provider`` → the secret manager it reads.
CSI_PROVIDERS = {"gcp": "GCP Secret Manager", "aws": "AWS Secrets Manager", "azure": "Azure Key Vault",
                 "vault": "HashiCorp Vault", "akeyless": "Akeyless", "conjur": "CyberArk Conjur"}


def _eso_provider(store: Mapping[str, Any]) -> str:
    provider = (store.get("spec") or {}).get("provider") or {}
    if not provider:
        return "unknown"
    key = sorted(provider)[0]
    if key == "aws" and (provider.get("aws") or {}).get("service") == "ParameterStore":
        return "AWS Parameter Store"
    return ESO_PROVIDERS.get(key, str(key))


STORE_COLUMNS = ["namespace", "csi_pods", "csi_providers", "external_secrets", "eso_providers", "secret_consumers",
                 "external"]


def secret_stores(model: Model, pods: Sequence[PodRef], refs: pd.DataFrame, namespaces: Sequence[str]) -> pd.DataFrame:
    """Per namespace of ``namespaces``: pods mounting Secrets Store CSI volumes and their providers,
    ExternalSecrets and their stores' providers, workloads consuming Kubernetes Secrets, and whether an
    external manager is used.
    """
    spcs = {object_key(o): CSI_PROVIDERS.get(str((o.get("spec") or {}).get("provider", "")),
                                             str((o.get("spec") or {}).get("provider", "unknown")))
            for o in model.items("secretproviderclasses.secrets-store.csi.x-k8s.io")}
    stores = {f"SecretStore/{object_key(o)}": _eso_provider(o) for o in model.items("secretstores.external-secrets.io")}
    stores.update({f"ClusterSecretStore/{object_key(o)}": _eso_provider(o)
                   for o in model.items("clustersecretstores.external-secrets.io")})
    csi_pods: dict[str, int] = defaultdict(int)
    csi_prov: dict[str, set[str]] = defaultdict(set)
    for ref in pods:
        for v in (ref.pod.get("spec") or {}).get("volumes") or ():
            csi = (v or {}).get("csi") or {}
            if csi.get("driver") == CSI_DRIVER:
                csi_pods[ref.namespace] += 1
                spc = (csi.get("volumeAttributes") or {}).get("secretProviderClass", "")
                csi_prov[ref.namespace].add(spcs.get(f"{ref.namespace}/{spc}", "unknown"))
                break
    es: dict[str, int] = defaultdict(int)
    es_prov: dict[str, set[str]] = defaultdict(set)
    for o in model.items("externalsecrets.external-secrets.io"):
        ns = str((o.get("metadata") or {}).get("namespace", ""))
        es[ns] += 1
        sref = (o.get("spec") or {}).get("secretStoreRef") or {}
        kind = sref.get("kind") or "SecretStore"
        key = f"{kind}/{ns}/{sref.get('name', '')}" if kind == "SecretStore" else f"{kind}/{sref.get('name', '')}"
        es_prov[ns].add(stores.get(key, "unknown"))
    consumers: dict[str, int] = {}
    if not refs.empty:
        used = refs[refs["via"] != "imagePullSecrets"]
        consumers = {str(k): int(v) for k, v in used.groupby("namespace")["workload"].nunique().items()}
    rows = [{"namespace": ns, "csi_pods": csi_pods.get(ns, 0), "csi_providers": tuple(sorted(csi_prov.get(ns, ()))),
             "external_secrets": es.get(ns, 0), "eso_providers": tuple(sorted(es_prov.get(ns, ()))),
             "secret_consumers": int(consumers.get(ns, 0)),
             "external": bool(csi_pods.get(ns) or es.get(ns))} for ns in namespaces]
    return pd.DataFrame(rows, columns=STORE_COLUMNS)


def platform_secret_manager(attachments: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Cloud secret-manager integrations switched on in a cluster description (GKE
    ``secretManagerConfig.enabled``, AKS ``addonProfiles.azureKeyvaultSecretsProvider.enabled``).

    >>> platform_secret_manager([("gke-cluster", {"secretManagerConfig": {"enabled": True}})])
    {'gke-cluster': 'secretManagerConfig.enabled = true'}
    """
    out: dict[str, str] = {}
    for kind, data in attachments:
        if not isinstance(data, dict):
            continue
        if kind == "gke-cluster":
            enabled = (data.get("secretManagerConfig") or {}).get("enabled") is True
            out[kind] = f"secretManagerConfig.enabled = {str(enabled).lower()}"
        elif kind == "aks-cluster":
            props: Mapping[str, Any] = data["properties"] if isinstance(data.get("properties"), dict) else data
            addon = (props.get("addonProfiles") or {}).get("azureKeyvaultSecretsProvider") or {}
            on = str(addon.get("enabled") is True).lower()
            out[kind] = f"addonProfiles.azureKeyvaultSecretsProvider.enabled = {on}"
    return out
