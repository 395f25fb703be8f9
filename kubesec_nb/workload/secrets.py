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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from kubesec_nb.identity import SERVICEACCOUNTS, binding_subject
from kubesec_nb.model import TOKEN_SECRET_TYPE, Model, object_key
from kubesec_nb.workload._common import PodRef, collapse, containers, detectors

CSI_DRIVER = "secrets-store.csi.k8s.io"


@dataclass(frozen=True)
class SecretRef:
    """A workload's reference to a Secret: ``via`` is ``env``, ``envFrom``, ``volume``, ``projected`` or
    ``imagePullSecrets``; ``key`` is ``*`` for the whole Secret; ``field`` the path in the pod spec."""

    namespace: str
    workload: str
    container: str
    secret: str
    key: str
    via: str
    field: str
    pods: int = 0
    example_pod: str = ""


def _secret_refs_of(ref: PodRef) -> Iterator[SecretRef]:
    spec = ref.pod.get("spec") or {}
    ns, wl = ref.namespace, ref.owner
    for path, c in containers(spec):
        name = str(c.get("name", ""))
        for i, env in enumerate(c.get("env") or ()):
            skr = ((env or {}).get("valueFrom") or {}).get("secretKeyRef")
            if skr:
                yield SecretRef(ns, wl, name, str(skr.get("name", "")), str(skr.get("key", "")), "env",
                                f"{path}.env[{i}].valueFrom.secretKeyRef")
        for i, src in enumerate(c.get("envFrom") or ()):
            sr = (src or {}).get("secretRef")
            if sr:
                yield SecretRef(ns, wl, name, str(sr.get("name", "")), "*", "envFrom", f"{path}.envFrom[{i}].secretRef")
    for i, v in enumerate(spec.get("volumes") or ()):
        v = v or {}
        if v.get("secret"):
            yield SecretRef(ns, wl, "", str(v["secret"].get("secretName", "")), "*", "volume",
                            f"spec.volumes[{i}].secret")
        for j, s in enumerate((v.get("projected") or {}).get("sources") or ()):
            if (s or {}).get("secret"):
                yield SecretRef(ns, wl, "", str(s["secret"].get("name", "")), "*", "projected",
                                f"spec.volumes[{i}].projected.sources[{j}].secret")
    for i, ips in enumerate(spec.get("imagePullSecrets") or ()):
        yield SecretRef(ns, wl, "", str((ips or {}).get("name", "")), "*", "imagePullSecrets",
                        f"spec.imagePullSecrets[{i}]")


def secret_refs(pods: Sequence[PodRef]) -> list[SecretRef]:
    """Every reference from a workload to a Secret, one per workload and reference."""
    return collapse(((r, ref.key) for ref in pods for r in _secret_refs_of(ref)),
                    lambda r: (r.namespace, r.workload, r.container, r.secret, r.field))


@dataclass(frozen=True)
class Credential:
    """A literal value that looks like a credential (the value itself never reaches the snapshot).

    ``kind`` is ``workload`` or ``ConfigMap``; ``object`` the workload (``Kind/name``) or ConfigMap name;
    ``source`` is ``env``, ``args``, ``command`` or ``data``; ``name`` the variable, flag, argument index or
    key; ``detector`` the redaction detector (``aws-access-key-id``, ``key-name``, ``high-entropy`` ...).
    """

    namespace: str
    kind: str
    object: str
    container: str
    source: str
    name: str
    detector: str
    field: str
    pods: int = 0
    example_pod: str = ""


def _credentials_of(ref: PodRef) -> Iterator[Credential]:
    for path, c in containers(ref.pod.get("spec") or {}):
        base = (ref.namespace, "workload", ref.owner, str(c.get("name", "")))
        for i, env in enumerate(c.get("env") or ()):
            for d in detectors((env or {}).get("value")):
                yield Credential(*base, "env", str((env or {}).get("name", "")), d, f"{path}.env[{i}].value")
        for fld in ("command", "args"):
            for i, arg in enumerate(c.get(fld) or ()):
                for d in detectors(arg):
                    flag = arg.split("=", 1)[0] if isinstance(arg, str) and arg.startswith("-") else f"[{i}]"
                    yield Credential(*base, fld, flag, d, f"{path}.{fld}[{i}]")


def credentials(pods: Sequence[PodRef], configmaps: Iterable[Mapping[str, Any]]) -> list[Credential]:
    """Literal values that look like credentials: env values, command/args and ConfigMap entries."""
    items: list[tuple[Credential, str]] = [(c, ref.key) for ref in pods for c in _credentials_of(ref)]
    for cm in configmaps:
        meta = cm.get("metadata") or {}
        for k, value in sorted((cm.get("data") or {}).items()):
            for d in detectors(value):
                items.append((Credential(str(meta.get("namespace", "")), "ConfigMap", str(meta.get("name", "")), "",
                                         "data", k, d, f"data[{k}]"), ""))
    return collapse(items, lambda r: (r.namespace, r.kind, r.object, r.container, r.field, r.detector))


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


@dataclass(frozen=True)
class TokenUse:
    """A workload's service account, whether its token is automounted and who decided it (``pod``,
    ``serviceaccount``, ``default``; ``field`` says where), the bindings that give the account API access,
    and whether it needs the token (see the module docstring)."""

    namespace: str
    workload: str
    service_account: str
    automount: bool
    decided_by: str
    field: str
    bindings: tuple[str, ...]
    needs_api: bool
    pods: int = 0
    example_pod: str = ""


def tokens(model: Model, pods: Sequence[PodRef], api_access: Sequence[str] = ()) -> list[TokenUse]:
    """Service-account token use per workload (see :class:`TokenUse`)."""
    direct, by_ns, everyone = bindings_by_service_account(model)
    need: dict[str, tuple[tuple[str, ...], bool]] = {}  # per service account: bindings, needs the API
    items = []
    for ref in pods:
        sa = model.service_account_of(ref.pod)
        mount, by, field = model.automount(ref.pod)
        hit = need.get(sa)
        if hit is None:
            binds = tuple(sorted(set(direct.get(sa, []) + by_ns.get(ref.namespace, []) + everyone)))
            hit = need[sa] = (binds, bool(binds) or any(fnmatchcase(sa, pat) for pat in api_access))
        items.append((TokenUse(ref.namespace, ref.owner, sa, mount, by, field, *hit), ref.key))
    return collapse(items, lambda r: (r.namespace, r.workload, r.service_account))


@dataclass(frozen=True)
class LegacyToken:
    """A long-lived ``kubernetes.io/service-account-token`` Secret: the account (``ns/name``) it stands for,
    the ``kubernetes.io/legacy-token-last-used`` / ``-invalid-since`` labels (1.29+) and the workloads that
    mount it."""

    namespace: str
    secret: str
    service_account: str
    service_account_exists: bool
    last_used: str
    invalid_since: str
    mounted_by: tuple[str, ...]

    @property
    def account_name(self) -> str:
        return self.service_account.partition("/")[2]


def legacy_tokens(model: Model, refs: Sequence[SecretRef]) -> list[LegacyToken]:
    """Long-lived token Secrets, sorted; ``mounted_by`` from the secret volumes and env ``secretKeyRef``
    of :func:`secret_refs`."""
    users: dict[str, set[str]] = defaultdict(set)
    for r in refs:
        if r.via in ("volume", "env"):
            users[f"{r.namespace}/{r.secret}"].add(r.workload)
    out = []
    for s in model.items("secrets"):
        if s.get("type") != TOKEN_SECRET_TYPE:
            continue
        meta = s.get("metadata") or {}
        ns, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        ann, labels = meta.get("annotations") or {}, meta.get("labels") or {}
        sa = f"{ns}/{ann.get('kubernetes.io/service-account.name', '')}"
        out.append(LegacyToken(ns, name, sa, sa in model.service_accounts,
                               str(labels.get("kubernetes.io/legacy-token-last-used", "")),
                               str(labels.get("kubernetes.io/legacy-token-invalid-since", "")),
                               tuple(sorted(users.get(f"{ns}/{name}", ())))))
    return sorted(out, key=lambda r: (r.namespace, r.secret))


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


@dataclass(frozen=True)
class SecretStoreUse:
    """Per namespace: pods mounting Secrets Store CSI volumes and their providers, ExternalSecrets and their
    stores' providers, workloads consuming Kubernetes Secrets, and whether an external manager is used."""

    namespace: str
    csi_pods: int
    csi_providers: tuple[str, ...]
    external_secrets: int
    eso_providers: tuple[str, ...]
    secret_consumers: int
    external: bool


def secret_stores(model: Model, pods: Sequence[PodRef], refs: Sequence[SecretRef],
                  namespaces: Sequence[str]) -> list[SecretStoreUse]:
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
    consumers: dict[str, set[str]] = defaultdict(set)
    for r in refs:
        if r.via != "imagePullSecrets":
            consumers[r.namespace].add(r.workload)
    return [SecretStoreUse(ns, csi_pods.get(ns, 0), tuple(sorted(csi_prov.get(ns, ()))), es.get(ns, 0),
                           tuple(sorted(es_prov.get(ns, ()))), len(consumers.get(ns, ())),
                           bool(csi_pods.get(ns) or es.get(ns))) for ns in namespaces]


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
