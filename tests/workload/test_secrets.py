"""Secrets handling tables: references, literal credentials, tokens, legacy tokens, secret stores."""

from __future__ import annotations

from typing import Any

from kubesec_nb.workload.secrets import platform_secret_manager
from tests.workload.conftest import analysis, c0, deployment, namespace, owner_ref, pod

Obj = dict[str, Any]
RS = owner_ref("ReplicaSet", "web-abc", "rs1")


def _objs(*extra: Obj) -> tuple[Obj, ...]:
    return (namespace("shop"), *deployment("web", "web-abc"), *extra)


def _env(p: Obj) -> None:
    c0(p)["env"] = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
                    {"name": "API_TOKEN", "value": "q8Zr4Lk2Vb9Xw1Pn6Tc3Hy7Mj5Dg0Fs"}]
    c0(p)["envFrom"] = [{"secretRef": {"name": "all"}}, {"configMapRef": {"name": "cfg"}}]
    c0(p)["args"] = ["--db-password=hunter2hunter2", "--verbose"]
    p["spec"]["volumes"] = [{"name": "s", "secret": {"secretName": "tls"}},
                            {"name": "p", "projected": {"sources": [{"secret": {"name": "ca"}}]}}]
    p["spec"]["imagePullSecrets"] = [{"name": "regcred"}]


def test_secret_refs_per_workload() -> None:
    wa = analysis(*_objs(pod("web-abc-1", owner=RS, mutate=_env), pod("web-abc-2", owner=RS, mutate=_env)))
    refs = wa.secret_refs
    assert set(refs["workload"]) == {"Deployment/web"}
    assert refs[["secret", "via"]].values.tolist() == [
        ["ca", "projected"], ["regcred", "imagePullSecrets"], ["tls", "volume"], ["all", "envFrom"], ["db", "env"]]
    assert set(refs["pods"]) == {2} and set(refs["example_pod"]) == {"shop/web-abc-1"}


def test_credentials_carry_detectors_not_values() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"},
          "data": {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "LOG_LEVEL": "info"}}
    wa = analysis(*_objs(pod("web-abc-1", owner=RS, mutate=_env), cm))
    cred = wa.credentials
    assert cred[["kind", "object", "source", "name", "detector"]].values.tolist() == [
        ["ConfigMap", "cfg", "data", "AWS_ACCESS_KEY_ID", "aws-access-key-id"],
        ["workload", "Deployment/web", "args", "--db-password", "key-name"],
        ["workload", "Deployment/web", "env", "API_TOKEN", "key-name"]]
    text = cred.to_csv()
    assert "AKIA" not in text and "hunter2" not in text and "q8Zr4" not in text
    assert wa.configmap_consumers == {"shop/cfg": ["Deployment/web"]}


def _rb(name: str, subjects: list[Obj], ns: str | None = "shop", role: str = "view") -> Obj:
    kind = "RoleBinding" if ns else "ClusterRoleBinding"
    meta: Obj = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects}


def _sa(name: str, automount: bool | None = None) -> Obj:
    o: Obj = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "shop"}}
    if automount is not None:
        o["automountServiceAccountToken"] = automount
    return o


def _sa_pod(name: str, sa: str, automount: bool | None) -> Obj:
    def m(p: Obj) -> None:
        p["spec"]["serviceAccountName"] = sa
        p["spec"].pop("automountServiceAccountToken")
        if automount is not None:
            p["spec"]["automountServiceAccountToken"] = automount
    return pod(name, mutate=m)


def test_tokens_decide_mount_and_need() -> None:
    wa = analysis(
        namespace("shop"), _sa("api"), _sa("quiet", automount=False), _sa("group"), _sa("none"),
        _rb("api", [{"kind": "ServiceAccount", "name": "api", "namespace": "shop"}]),
        _rb("all-sa", [{"kind": "Group", "name": "system:serviceaccounts:shop"}], ns=None),
        _rb("system:ignored", [{"kind": "Group", "name": "system:serviceaccounts"}], ns=None),
        _sa_pod("a", "api", None), _sa_pod("b", "quiet", None), _sa_pod("c", "quiet", True), _sa_pod("d", "none", None),
        api_access_service_accounts=["shop/non*"])
    t = wa.tokens.set_index("workload")
    assert t.loc["Pod/a", ["automount", "decided_by", "needs_api"]].tolist() == [True, "default", True]
    assert t.loc["Pod/a", "bindings"] == ("ClusterRoleBinding all-sa", "RoleBinding shop/api")
    assert t.loc["Pod/b", ["automount", "decided_by"]].tolist() == [False, "serviceaccount"]
    assert t.loc["Pod/c", ["automount", "decided_by"]].tolist() == [True, "pod"]  # the pod wins
    assert t.loc["Pod/d", ["needs_api", "bindings"]].tolist() == [True, ("ClusterRoleBinding all-sa",)]


def test_token_without_bindings_is_a_finding() -> None:
    wa = analysis(namespace("shop"), _sa("lonely"), _sa_pod("a", "lonely", None))
    t = wa.tokens.iloc[0]
    assert (t["automount"], t["needs_api"], t["bindings"]) == (True, False, ())


def test_legacy_tokens() -> None:
    sec = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
           "metadata": {"name": "old-token", "namespace": "shop",
                        "annotations": {"kubernetes.io/service-account.name": "ghost"},
                        "labels": {"kubernetes.io/legacy-token-last-used": "2024-01-02"}},
           "data": {"token": "eyJhbGciOi"}}
    p = pod("user", mutate=lambda p: p["spec"].update(volumes=[{"name": "t", "secret": {"secretName": "old-token"}}]))
    wa = analysis(namespace("shop"), sec, p)
    row = wa.legacy_tokens.iloc[0]
    assert (row["secret"], row["service_account"], row["service_account_exists"], row["last_used"],
            row["mounted_by"]) == ("old-token", "shop/ghost", False, "2024-01-02", ("Pod/user",))


def test_secret_stores_csi_and_external_secrets() -> None:
    spc = {"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
           "metadata": {"name": "kv", "namespace": "bank"}, "spec": {"provider": "azure"}}
    store = {"apiVersion": "external-secrets.io/v1beta1", "kind": "ClusterSecretStore", "metadata": {"name": "gcp"},
             "spec": {"provider": {"gcpsm": {"projectID": "p"}}}}
    es = {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
          "metadata": {"name": "db", "namespace": "media"},
          "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "gcp"}}}
    csi = pod("app", "bank", mutate=lambda p: p["spec"].update(volumes=[{"name": "kv", "csi": {
        "driver": "secrets-store.csi.k8s.io", "volumeAttributes": {"secretProviderClass": "kv"}}}]))
    plain = pod("app", "shop",
                mutate=lambda p: p["spec"].update(volumes=[{"name": "s", "secret": {"secretName": "x"}}]))
    wa = analysis(namespace("bank"), namespace("media"), namespace("shop"), spc, store, es, csi, plain)
    st = wa.secret_stores.set_index("namespace")
    assert st.loc["bank", ["csi_pods", "csi_providers", "external"]].tolist() == [1, ("Azure Key Vault",), True]
    assert st.loc["media", ["external_secrets", "eso_providers", "external"]].tolist() == [
        1, ("GCP Secret Manager",), True]
    assert st.loc["shop", ["secret_consumers", "external"]].tolist() == [1, False]


def test_platform_secret_manager() -> None:
    assert platform_secret_manager([("aks-cluster", {"properties": {"addonProfiles": {
        "azureKeyvaultSecretsProvider": {"enabled": True}}}})]) == {
        "aks-cluster": "addonProfiles.azureKeyvaultSecretsProvider.enabled = true"}
