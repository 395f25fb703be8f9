"""Generate the bundled sample clusters and synthetic clusters for benchmarks.

    python data/samples/generate.py            # writes data/samples/{eks-shop,gke-media,aks-bank}.json.gz
    python data/samples/generate.py --check    # fails if the committed files differ from a fresh run

Every sample is deterministic (no clock, no unseeded randomness): running the script
twice gives byte-identical files. Each cluster is small but realistic for its provider
(node providerIDs and labels, the provider's system namespaces and add-ons, workload
identity annotations, aws-auth on EKS, a cloud description attached) and carries planted
weaknesses across the hardening guide; ``data/samples/README.md`` lists them.

``synthetic(pods, namespaces=..., policies=..., roles=..., bindings=..., service_accounts=...)``
builds large clusters with a realistic mix for the ``benchmarks/`` scripts.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from auditlogs import sample_log  # noqa: E402
from builder import Cluster, container, digest, repo_of  # noqa: E402

from kubesec_nb.snapshot.document import Attachment, Snapshot  # noqa: E402

Obj = dict[str, Any]

ACCOUNT = "111122223333"
RESTRICTED_SC = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                 "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
POD_SC_NONROOT = {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
DNS_EGRESS = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                      "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
              "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
READ = ["get", "list", "watch"]


def rule(groups: list[str], resources: list[str], verbs: list[str], names: list[str] | None = None) -> Obj:
    r: Obj = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if names:
        r["resourceNames"] = names
    return r


def hostpath(name: str, path: str, type_: str = "") -> Obj:
    hp: Obj = {"path": path}
    if type_:
        hp["type"] = type_
    return {"name": name, "hostPath": hp}


def mount(name: str, path: str, read_only: bool = False) -> Obj:
    m: Obj = {"name": name, "mountPath": path}
    if read_only:
        m["readOnly"] = True
    return m


def env_secret(name: str, secret: str, key: str) -> Obj:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _api_server(c: Cluster, addresses: list[str]) -> None:
    """The default/kubernetes Service and the EndpointSlice the API server keeps for it."""
    c.service("default", "kubernetes", None, [{"name": "https", "port": 443, "targetPort": 443}],
              clusterIP="10.96.0.1")
    c.obj("discovery.k8s.io/v1", "EndpointSlice", "kubernetes", "default", labels={
        "kubernetes.io/service-name": "kubernetes", "endpointslice.kubernetes.io/managed-by":
        "endpointslicemirroring-controller.k8s.io"}, addressType="IPv4",
        endpoints=[{"addresses": [a], "conditions": {"ready": True}} for a in addresses],
        ports=[{"name": "https", "port": 443, "protocol": "TCP"}])


# ---- shared building blocks -----------------------------------------------------------------------
def _common_apps(c: Cluster, registry: str, *, lb_annotations: dict[str, str], lb_address: dict[str, str]) -> None:
    """The shop-like application namespaces every sample has, with planted weaknesses."""
    # storefront: baseline enforced, internet-facing through the ingress controller and a LoadBalancer
    c.namespace("storefront", {"pod-security.kubernetes.io/enforce": "baseline",
                               "pod-security.kubernetes.io/warn": "restricted", "team": "web"})
    c.service_account("storefront", "web")
    c.secret("storefront", "web-db", ["DB_PASSWORD", "DB_USER"])
    c.workload("Deployment", "storefront", "web", [container(
        "web", f"{registry}/shop/web:1.4.2", ports=[{"name": "http", "containerPort": 8080}],
        env=[env_secret("DB_PASSWORD", "web-db", "DB_PASSWORD"),
             {"name": "STRIPE_API_KEY", "value": "sk_live_4eC39HqLyjWDarjtT1zdp7dc"},
             {"name": "LOG_LEVEL", "value": "info"}],
        securityContext={"runAsNonRoot": True, "allowPrivilegeEscalation": False})],
        replicas=3, sa="web", labels={"app": "web", "tier": "frontend"})
    c.workload("Deployment", "storefront", "cart", [container(
        "redis", "redis:latest", ports=[{"name": "redis", "containerPort": 6379}])],
        replicas=1, labels={"app": "cart", "tier": "cache"})
    c.service("storefront", "web", {"app": "web"}, [{"name": "http", "port": 80, "targetPort": "http"}])
    c.service("storefront", "web-public", {"app": "web"}, [{"name": "https", "port": 443, "targetPort": 8080}],
              type="LoadBalancer", annotations=lb_annotations, **lb_address)
    c.service("storefront", "cart", {"app": "cart"}, [{"port": 6379, "targetPort": "redis"}])
    c.network_policy("storefront", "web-ingress", {
        "podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "ingress-nginx"}}}], "ports": [{"port": "http"}]}]})
    c.network_policy("storefront", "cart-from-web", {
        "podSelector": {"matchLabels": {"app": "cart"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 6379}]}]})
    # planted: a policy that selects nothing (the app it was written for is gone)
    c.network_policy("storefront", "legacy-allow", {
        "podSelector": {"matchLabels": {"app": "old-frontend"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {}}]}]})

    # checkout: restricted enforced, default deny both ways with DNS allowed, image pinned by digest
    c.namespace("checkout", {"pod-security.kubernetes.io/enforce": "restricted",
                             "pod-security.kubernetes.io/enforce-version": "latest", "team": "payments"})
    c.service_account("checkout", "api", automount=False)
    c.workload("Deployment", "checkout", "api", [container(
        "api", f"{registry}/shop/checkout@{digest('checkout:3.2.0')}",
        ports=[{"name": "grpc", "containerPort": 9090}], securityContext=RESTRICTED_SC,
        resources={"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}})],
        replicas=2, sa="api", securityContext=POD_SC_NONROOT)
    c.obj("v1", "LimitRange", "defaults", "checkout", spec={"limits": [{
        "type": "Container", "default": {"cpu": "500m", "memory": "256Mi"},
        "defaultRequest": {"cpu": "100m", "memory": "128Mi"}, "max": {"memory": "1Gi"}}]})
    c.obj("v1", "ResourceQuota", "compute", "checkout", spec={"hard": {
        "requests.cpu": "4", "requests.memory": "8Gi", "limits.memory": "16Gi", "pods": "40"}})
    c.service("checkout", "api", {"app": "api"}, [{"name": "grpc", "port": 9090, "targetPort": "grpc"}])
    c.network_policy("checkout", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    c.network_policy("checkout", "allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [DNS_EGRESS]})
    c.network_policy("checkout", "api-from-storefront", {
        "podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "web"}},
                               "podSelector": {"matchLabels": {"app": "web"}}}],
                     "ports": [{"port": 9090, "protocol": "TCP"}]}]})
    c.network_policy("checkout", "api-to-payments", {
        "podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "payments"}}}],
                    "ports": [{"port": 8443, "endPort": 8444, "protocol": "TCP"}]}]})

    # payments: audit-only Pod Security, ingress-only default deny (egress wide open), root container
    c.namespace("payments", {"pod-security.kubernetes.io/audit": "restricted", "team": "payments"})
    c.service_account("payments", "processor")
    c.secret("payments", "processor-keys", ["api-key", "signing-key"])
    c.workload("Deployment", "payments", "processor", [container(
        "processor", "docker.io/paytools/processor:2.1",
        ports=[{"name": "https", "containerPort": 8443}],
        envFrom=[{"secretRef": {"name": "processor-keys"}}],
        securityContext={"runAsUser": 0, "capabilities": {"add": ["SYS_PTRACE", "NET_RAW"]}})],
        replicas=2, sa="processor")
    c.service("payments", "processor", {"app": "processor"}, [{"name": "https", "port": 8443, "targetPort": "https"}])
    c.network_policy("payments", "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
    c.network_policy("payments", "processor-from-checkout", {
        "podSelector": {"matchLabels": {"app": "processor"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "checkout"}}},
                              {"podSelector": {"matchLabels": {"role": "auditor"}}}],
                     "ports": [{"port": "https"}]}]})

    # catalog: no network policy at all, NodePort, hostPort, latest image from another registry
    c.namespace("catalog", {"team": "web"})
    c.workload("Deployment", "catalog", "search", [container(
        "search", "quay.io/shopcat/search:latest", ports=[{"name": "http", "containerPort": 9200, "hostPort": 9200}])],
        replicas=2)
    c.service("catalog", "search", {"app": "search"}, [{"name": "http", "port": 9200, "targetPort": "http"}],
              type="NodePort")

    # data: sensitive namespace with overly broad allows and an ipBlock naming a ClusterIP
    c.namespace("data", {"team": "data", "sensitivity": "high"})
    c.service_account("data", "postgres")
    c.service_account("data", "backup")
    c.service_account("data", "db-admin")
    c.secret("data", "postgres-credentials", ["POSTGRES_PASSWORD", "POSTGRES_USER"])
    c.workload("StatefulSet", "data", "postgres", [container(
        "postgres", "postgres:16.4", ports=[{"name": "pg", "containerPort": 5432}],
        env=[env_secret("POSTGRES_PASSWORD", "postgres-credentials", "POSTGRES_PASSWORD")],
        volumeMounts=[mount("creds", "/etc/pg", True)])],
        replicas=2, sa="postgres", volumes=[{"name": "creds", "secret": {"secretName": "postgres-credentials"}}])
    c.service("data", "postgres", {"app": "postgres"}, [{"name": "pg", "port": 5432, "targetPort": "pg"}])
    c.network_policy("data", "allow-all-ingress", {"podSelector": {}, "policyTypes": ["Ingress"],
                                                   "ingress": [{"from": [{"namespaceSelector": {}}]}]})
    c.network_policy("data", "postgres-from-anywhere", {"podSelector": {"matchLabels": {"app": "postgres"}},
                                                        "ingress": [{}]})
    c.network_policy("data", "backup-egress", {
        "podSelector": {"matchLabels": {"app": "backup"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.96.0.10/32"}}]},
                   {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
                    "ports": [{"port": 443}]}]})
    c.workload("CronJob", "data", "backup", [container(
        "backup", "docker.io/library/postgres:16.4", command=["/bin/sh", "-c", "pg_dump"],
        args=["--host=postgres", "--password=Sup3rS3cretBackupPw!"])], sa="backup", labels={"app": "backup"},
        restartPolicy="OnFailure")

    # batch-jobs: a default-deny egress that forgets DNS; a credential-looking ConfigMap entry
    c.namespace("batch-jobs", {"team": "analytics"})
    c.service_account("batch-jobs", "reporter")
    c.configmap("batch-jobs", "report-config", {
        "REPORT_BUCKET": "s3://shop-reports", "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SCHEDULE": "nightly"})
    c.workload("CronJob", "batch-jobs", "nightly-report", [container(
        "report", f"{registry}/analytics/report:0.9", envFrom=[{"configMapRef": {"name": "report-config"}}])],
        sa="reporter", restartPolicy="Never")
    c.workload("Deployment", "batch-jobs", "report-api", [container(
        "api", f"{registry}/analytics/report-api:0.9", ports=[{"name": "http", "containerPort": 8080}],
        securityContext=RESTRICTED_SC)], sa="reporter", securityContext=POD_SC_NONROOT)
    c.network_policy("batch-jobs", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": []})

    # legacy: root, untagged image, default SA with edit, a long-lived token secret
    c.namespace("legacy")
    c.service_account("legacy", "deployer")
    c.secret("legacy", "deployer-token", ["ca.crt", "namespace", "token"], type="kubernetes.io/service-account-token",
             annotations={"kubernetes.io/service-account.name": "deployer"},
             labels={"kubernetes.io/legacy-token-last-used": "2026-11-18"})
    c.workload("Deployment", "legacy", "old-app", [container(
        "app", "nginx", ports=[{"containerPort": 80}], env=[{"name": "ADMIN_PASSWORD", "value": "changeme123"}])],
        replicas=1)
    c.bind("default-edit", "edit", ["ServiceAccount:legacy:default"], ns="legacy")
    c.bind("deployer-admin", "admin", ["ServiceAccount:legacy:deployer"], ns="legacy")

    # dev: a team namespace where developers may create pods and a powerful SA lives
    c.namespace("dev", {"team": "dev"})
    c.service_account("dev", "deployer")
    c.role("dev", "pod-creator", [rule([""], ["pods"], ["create", "get", "list", "watch", "delete"]),
                                  rule(["apps"], ["deployments"], ["create", "update", "patch", "get", "list"]),
                                  rule([""], ["pods/log"], ["get"])])
    c.bind("developers-pods", "pod-creator", ["Group:developers"], ns="dev", role_kind="Role")
    c.bind("deployer-admin", "admin", ["ServiceAccount:dev:deployer"], ns="dev")
    c.workload("Pod", "dev", "debug-shell", [container(
        "shell", "docker.io/nicolaka/netshoot:v0.13", command=["sleep", "infinity"],
        securityContext={"capabilities": {"add": ["SYS_ADMIN"]}})], hostPID=True, labels={"app": "debug"})


def _common_rbac(c: Cluster) -> None:
    """Planted RBAC weaknesses shared by every sample."""
    c.cluster_role("secret-reader", [rule([""], ["secrets"], READ)])
    c.bind("oncall-secret-reader", "secret-reader", ["Group:oncall", "ServiceAccount:monitoring:prometheus"])
    c.cluster_role("impersonator", [rule([""], ["users", "groups", "serviceaccounts"], ["impersonate"])])
    c.bind("support-bot-impersonate", "impersonator", ["User:support-bot"])
    c.cluster_role("rbac-manager", [rule(["rbac.authorization.k8s.io"], ["clusterrolebindings", "rolebindings"],
                                         ["create", "update", "patch", "get", "list"]),
                                    rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind"])])
    c.bind("platform-lead-rbac", "rbac-manager", ["User:platform-lead"])
    c.role("payments", "role-editor", [rule(["rbac.authorization.k8s.io"], ["roles"], ["escalate", "update", "get"])])
    c.bind("payments-role-editor", "role-editor", ["Group:payments-team"], ns="payments", role_kind="Role")
    c.role("payments", "ns-owner", [rule(["*"], ["*"], ["*"])])
    c.bind("payments-owners", "ns-owner", ["Group:payments-leads"], ns="payments", role_kind="Role")
    c.bind("payments-operator", "payments-operator", ["ServiceAccount:payments:processor"], ns="payments",
           role_kind="Role")  # planted: the Role does not exist
    c.cluster_role("csr-approver", [
        rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["create", "get", "list"]),
        rule(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
        rule(["certificates.k8s.io"], ["signers"], ["approve"], ["kubernetes.io/kube-apiserver-client"])])
    c.bind("cert-bot-csr", "csr-approver", ["ServiceAccount:ci:cert-bot"])
    c.cluster_role("webhook-admin", [rule(["admissionregistration.k8s.io"],
                                          ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
                                          ["create", "update", "patch", "delete", "get", "list"]),
                                     rule(["apiextensions.k8s.io"], ["customresourcedefinitions"],
                                          ["create", "update", "patch"])])
    c.bind("platform-webhooks", "webhook-admin", ["Group:platform"])
    c.cluster_role("namespace-labeler", [rule([""], ["namespaces"], ["get", "list", "patch"])])
    c.bind("developers-namespaces", "namespace-labeler", ["Group:developers"])
    c.role("storefront", "exec", [rule([""], ["pods"], ["get", "list"]), rule([""], ["pods/exec"], ["create"])])
    c.bind("oncall-exec", "exec", ["Group:oncall"], ns="storefront", role_kind="Role")
    c.role("payments", "exec-get", [rule([""], ["pods", "pods/exec", "pods/attach"], ["get"])])
    c.bind("auditors-exec-get", "exec-get", ["Group:auditors"], ns="payments", role_kind="Role")
    c.cluster_role("debugger", [rule([""], ["pods/ephemeralcontainers"], ["patch", "update"]),
                                rule([""], ["pods"], ["get", "list"])])
    c.bind("sre-debug", "debugger", ["Group:sre"])
    c.cluster_role("storage-admin", [rule([""], ["persistentvolumes"], ["create", "delete", "get", "list"])])
    c.bind("storage-bot", "storage-admin", ["User:storage-bot"])
    c.role("data", "token-minter", [rule([""], ["serviceaccounts/token"], ["create"], ["db-admin"])])
    c.bind("backup-token-minter", "token-minter", ["ServiceAccount:data:backup"], ns="data", role_kind="Role")
    c.bind("db-admin", "admin", ["ServiceAccount:data:db-admin"], ns="data")
    c.role("kube-system", "configmap-editor", [rule([""], ["configmaps"], ["get", "update", "patch"])])
    c.bind("ci-configmaps", "configmap-editor", ["ServiceAccount:ci:deployer"], ns="kube-system", role_kind="Role")
    c.bind("storefront-editors", "edit", ["Group:deployers", "User:alice"], ns="storefront")
    c.cluster_role("node-metrics", [rule([""], ["nodes", "nodes/proxy", "nodes/metrics"], ["get", "list", "watch"]),
                                    {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}])
    c.bind("prometheus-node-metrics", "node-metrics", ["ServiceAccount:monitoring:prometheus"])
    c.cluster_role("aggregate-crd-editor", [rule(["stable.example.com"], ["widgets"], ["*"])],
                   labels={"rbac.authorization.k8s.io/aggregate-to-edit": "true"})


def _ci_and_monitoring(c: Cluster, socket: str) -> None:
    # ci: the Jenkins agent is privileged, mounts the container runtime socket and is cluster-admin
    c.namespace("ci", {"team": "platform"})
    c.service_account("ci", "jenkins")
    c.service_account("ci", "cert-bot")
    c.service_account("ci", "deployer")
    c.bind("ci-cluster-admin", "cluster-admin", ["ServiceAccount:ci:jenkins"])
    c.workload("StatefulSet", "ci", "jenkins-agent", [container(
        "agent", "jenkins/inbound-agent:3261.v9c670a_4748a_9-1",
        securityContext={"privileged": True}, volumeMounts=[mount("runtime", socket)])],
        replicas=1, sa="jenkins", volumes=[hostpath("runtime", socket, "Socket")])

    # monitoring: node-exporter reads the host; prometheus can read secrets and proxy to kubelets
    c.namespace("monitoring", {"team": "platform"})
    c.service_account("monitoring", "prometheus")
    c.service_account("monitoring", "node-exporter", automount=False)
    c.workload("DaemonSet", "monitoring", "node-exporter", [container(
        "node-exporter", "quay.io/prometheus/node-exporter:v1.8.2", ports=[{"name": "metrics", "containerPort": 9100}],
        args=["--path.rootfs=/host"], volumeMounts=[mount("root", "/host", True)])],
        sa="node-exporter", hostNetwork=True, hostPID=True, volumes=[hostpath("root", "/")])
    c.workload("DaemonSet", "monitoring", "log-shipper", [container(
        "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9", volumeMounts=[mount("varlog", "/var/log")])],
        volumes=[hostpath("varlog", "/var/log")], labels={"app": "log-shipper"})
    c.network_policy("monitoring", "node-exporter-ingress", {  # planted: selects hostNetwork pods, no effect
        "podSelector": {"matchLabels": {"app": "node-exporter"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "prometheus"}}}], "ports": [{"port": 9100}]}]})
    c.role("monitoring", "log-reader", [rule([""], ["pods", "pods/log"], ["get", "list"])])
    c.bind("log-shipper-logs", "log-reader", ["ServiceAccount:monitoring:default"], ns="monitoring", role_kind="Role")
    c.workload("Deployment", "monitoring", "prometheus", [container(
        "prometheus", "quay.io/prometheus/prometheus:v2.54.1", ports=[{"name": "web", "containerPort": 9090}],
        securityContext=RESTRICTED_SC)], sa="prometheus", securityContext=POD_SC_NONROOT)
    c.service("monitoring", "prometheus", {"app": "prometheus"}, [{"name": "web", "port": 9090, "targetPort": "web"}])


def _falco(c: Cluster, socket: str) -> None:
    """Runtime threat detection: Falco needs the host's /proc, /dev, kernel modules and the runtime socket."""
    c.namespace("falco", {"pod-security.kubernetes.io/enforce": "privileged"})
    c.service_account("falco", "falco")
    c.cluster_role("falco", [rule([""], ["nodes", "namespaces", "pods", "replicationcontrollers", "services", "events",
                                         "configmaps"], READ), rule(["apps"], ["daemonsets", "deployments",
                                                                             "replicasets", "statefulsets"], READ)])
    c.bind("falco", "falco", ["ServiceAccount:falco:falco"])
    c.workload("DaemonSet", "falco", "falco", [container(
        "falco", "docker.io/falcosecurity/falco:0.39.1", securityContext={"privileged": True},
        volumeMounts=[mount("proc", "/host/proc", True), mount("dev", "/host/dev", True),
                      mount("boot", "/host/boot", True), mount("modules", "/host/lib/modules", True),
                      mount("runtime", "/host" + socket)])],
        sa="falco", labels={"app.kubernetes.io/name": "falco"},
        volumes=[hostpath("proc", "/proc"), hostpath("dev", "/dev"), hostpath("boot", "/boot"),
                 hostpath("modules", "/lib/modules"), hostpath("runtime", socket)])


def _ingress_nginx(c: Cluster, lb_annotations: dict[str, str], address: dict[str, str]) -> None:
    c.namespace("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
    c.service_account("ingress-nginx", "ingress-nginx")
    c.workload("Deployment", "ingress-nginx", "ingress-nginx-controller", [container(
        "controller", "registry.k8s.io/ingress-nginx/controller:v1.11.2",
        ports=[{"name": "http", "containerPort": 80}, {"name": "https", "containerPort": 443}],
        securityContext={"allowPrivilegeEscalation": True, "runAsUser": 101,
                         "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})],
        replicas=2, sa="ingress-nginx", labels={"app.kubernetes.io/name": "ingress-nginx",
                                                "app.kubernetes.io/component": "controller"})
    c.service("ingress-nginx", "ingress-nginx-controller",
              {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
              [{"name": "http", "port": 80, "targetPort": "http"}, {"name": "https", "port": 443, "targetPort": "https"}],
              type="LoadBalancer", annotations=lb_annotations, **address)
    c.obj("networking.k8s.io/v1", "IngressClass", "nginx", spec={"controller": "k8s.io/ingress-nginx"},
          annotations={"ingressclass.kubernetes.io/is-default-class": "true"})
    c.obj("networking.k8s.io/v1", "Ingress", "shop", "storefront", spec={
        "ingressClassName": "nginx", "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
        "rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
            "service": {"name": "web", "port": {"name": "http"}}}}]}}]})
    c.secret("storefront", "shop-tls", ["tls.crt", "tls.key"], type="kubernetes.io/tls")


def _velero(c: Cluster) -> None:
    c.namespace("velero")
    c.service_account("velero", "velero")
    c.bind("velero", "cluster-admin", ["ServiceAccount:velero:velero"])
    c.workload("Deployment", "velero", "velero", [container("velero", "velero/velero:v1.14.1")], sa="velero")
    for plural, kind in (("schedules", "Schedule"), ("backupstoragelocations", "BackupStorageLocation")):
        c.crd(plural, "velero.io", kind)
    c.obj("velero.io/v1", "Schedule", "daily", "velero", spec={"schedule": "0 1 * * *",
                                                              "template": {"includedNamespaces": ["*"],
                                                                           "excludedNamespaces": ["dev"],
                                                                           "ttl": "720h"}},
          status={"phase": "Enabled", "lastBackup": "2026-11-20T01:00:00Z"})
    c.obj("velero.io/v1", "BackupStorageLocation", "default", "velero",
          spec={"provider": "aws", "objectStorage": {"bucket": "shop-velero"}}, status={"phase": "Available"})


# ---- EKS ------------------------------------------------------------------------------------------
def eks_shop() -> Snapshot:
    c = Cluster("eks-shop", "eks", "v1.30.4-eks-a737599", pod_cidr="10.0.128.0/17", node_cidr="10.0.16.0/24")
    for i, (az, ng) in enumerate((("eu-west-1a", "general"), ("eu-west-1b", "general"), ("eu-west-1c", "batch"))):
        c.node(f"ip-10-0-16-{10 + i}.eu-west-1.compute.internal", provider_id=f"aws:///{az}/i-0abc{i:012x}",
               labels={"eks.amazonaws.com/nodegroup": ng, "topology.kubernetes.io/zone": az,
                       "topology.kubernetes.io/region": "eu-west-1", "node.kubernetes.io/instance-type": "m6i.large",
                       "eks.amazonaws.com/capacityType": "ON_DEMAND"},
               external_ip=f"54.76.12.{30 + i}" if ng == "batch" else None,
               os_image="Amazon Linux 2023.5.20240916", kubelet="v1.30.4-eks-a737599")
    # kube-system, as EKS installs it
    c.namespace("kube-system")
    c.namespace("default")
    for sa, ann in (("aws-node", {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/eks-vpc-cni"}),
                    ("coredns", None), ("kube-proxy", None),
                    ("ebs-csi-controller-sa", {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/ebs-csi"}),
                    ("ebs-csi-node-sa", None),
                    ("aws-load-balancer-controller",
                     {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/aws-lbc"}),
                    ("cluster-autoscaler",
                     {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{ACCOUNT}:role/cluster-autoscaler"}),
                    ("eks-pod-identity-agent", None)):
        c.service_account("kube-system", sa, ann)
    c.workload("DaemonSet", "kube-system", "aws-node", [
        container("aws-node", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.3",
                  securityContext={"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                  volumeMounts=[mount("cni-bin", "/host/opt/cni/bin"), mount("cni-net", "/host/etc/cni/net.d")]),
        container("aws-network-policy-agent",
                  "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-network-policy-agent:v1.1.2-eksbuild.1",
                  args=["--enable-network-policy=true", "--enable-ipv6=false"],
                  securityContext={"privileged": True}, volumeMounts=[mount("bpf", "/sys/fs/bpf")])],
        sa="aws-node", hostNetwork=True, labels={"k8s-app": "aws-node"},
        volumes=[hostpath("cni-bin", "/opt/cni/bin"), hostpath("cni-net", "/etc/cni/net.d"),
                 hostpath("bpf", "/sys/fs/bpf")], priorityClassName="system-node-critical")
    c.workload("DaemonSet", "kube-system", "kube-proxy", [container(
        "kube-proxy", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.30.3-minimal-eksbuild.5",
        securityContext={"privileged": True}, volumeMounts=[mount("lib-modules", "/lib/modules", True)])],
        sa="kube-proxy", hostNetwork=True, labels={"k8s-app": "kube-proxy"},
        volumes=[hostpath("lib-modules", "/lib/modules")])
    c.workload("DaemonSet", "kube-system", "ebs-csi-node", [container(
        "ebs-plugin", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/aws-ebs-csi-driver:v1.35.0",
        securityContext={"privileged": True},
        volumeMounts=[mount("kubelet-dir", "/var/lib/kubelet"), mount("device-dir", "/dev")])],
        sa="ebs-csi-node-sa", labels={"app": "ebs-csi-node"},
        volumes=[hostpath("kubelet-dir", "/var/lib/kubelet", "Directory"), hostpath("device-dir", "/dev", "Directory")])
    c.workload("DaemonSet", "kube-system", "eks-pod-identity-agent", [container(
        "eks-pod-identity-agent", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/eks-pod-identity-agent:0.1.10",
        securityContext={"capabilities": {"add": ["CAP_NET_BIND_SERVICE"]}})],
        sa="eks-pod-identity-agent", hostNetwork=True, labels={"app.kubernetes.io/name": "eks-pod-identity-agent"})
    c.workload("Deployment", "kube-system", "coredns", [container(
        "coredns", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.3-eksbuild.1",
        ports=[{"name": "dns", "containerPort": 53, "protocol": "UDP"},
               {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}],
        securityContext={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                         "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}})],
        replicas=2, sa="coredns", labels={"k8s-app": "kube-dns"})
    c.service("kube-system", "kube-dns", {"k8s-app": "kube-dns"},
              [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
               {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}], clusterIP="10.96.0.10")
    c.workload("Deployment", "kube-system", "aws-load-balancer-controller", [container(
        "controller", "public.ecr.aws/eks/aws-load-balancer-controller:v2.8.3")], replicas=2,
        sa="aws-load-balancer-controller", labels={"app.kubernetes.io/name": "aws-load-balancer-controller"})
    c.workload("Deployment", "kube-system", "cluster-autoscaler", [container(
        "cluster-autoscaler", "registry.k8s.io/autoscaling/cluster-autoscaler:v1.30.2")], sa="cluster-autoscaler")
    c.cluster_role("aws-load-balancer-controller-role", [
        rule([""], ["services/status"], ["update", "patch"]), rule(["networking.k8s.io"], ["ingresses/status"],
                                                                   ["update", "patch"]),
        rule([""], ["services", "endpoints", "pods", "nodes"], READ)])
    c.bind("aws-load-balancer-controller-rolebinding", "aws-load-balancer-controller-role",
           ["ServiceAccount:kube-system:aws-load-balancer-controller"])
    c.cluster_role("cluster-autoscaler", [rule([""], ["pods/eviction"], ["create"]),
                                          rule([""], ["pods"], ["get", "list", "watch", "delete"]),
                                          rule([""], ["nodes"], ["get", "list", "watch", "update", "patch"])])
    c.bind("cluster-autoscaler", "cluster-autoscaler", ["ServiceAccount:kube-system:cluster-autoscaler"])
    c.cluster_role("eks:node-manager", [rule([""], ["nodes"], ["get", "list", "patch", "update"])],
                   labels={"eks.amazonaws.com/component": "node"})
    c.bind("eks:node-manager", "eks:node-manager", ["User:eks:node-manager"])
    # aws-auth: planted mapping of an IAM role to system:masters
    c.configmap("kube-system", "aws-auth", {
        "mapRoles": (f"- rolearn: arn:aws:iam::{ACCOUNT}:role/eks-node-group-general\n"
                     "  username: system:node:{{EC2PrivateDNSName}}\n"
                     "  groups:\n  - system:bootstrappers\n  - system:nodes\n"
                     f"- rolearn: arn:aws:iam::{ACCOUNT}:role/DevOpsAdmin\n"
                     "  username: devops-admin\n  groups:\n  - system:masters\n"
                     f"- rolearn: arn:aws:iam::{ACCOUNT}:role/ci-deployer\n"
                     "  username: ci-deployer\n  groups:\n  - deployers\n"),
        "mapUsers": (f"- userarn: arn:aws:iam::{ACCOUNT}:user/alice\n  username: alice\n  groups:\n  - oncall\n"),
    })
    # planted: anonymous requests may scrape metrics (a common shortcut for an external Prometheus)
    c.cluster_role("metrics-reader", [rule([""], ["nodes/metrics"], ["get"]),
                                      {"nonResourceURLs": ["/metrics", "/metrics/*"], "verbs": ["get"]}])
    c.bind("anonymous-metrics", "metrics-reader", ["User:system:anonymous"])
    c.configmap("kube-system", "coredns", {"Corefile": ".:53 {\n    errors\n    health\n    kubernetes cluster.local "
                                                       "in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n}\n"})
    nlb = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
           "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}
    _common_apps(c, "111122223333.dkr.ecr.eu-west-1.amazonaws.com",
                 lb_annotations={"service.beta.kubernetes.io/aws-load-balancer-type": "external",
                                 "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"},
                 lb_address={"lb_hostname": "k8s-storefro-webpubli-0a1b2c3d4e-1234567890.elb.eu-west-1.amazonaws.com"})
    _common_rbac(c)
    _ci_and_monitoring(c, "/run/containerd/containerd.sock")
    _ingress_nginx(c, nlb, {"lb_hostname": "a1b2c3d4e5f6-1234567890.elb.eu-west-1.amazonaws.com"})
    _velero(c)
    _falco(c, "/run/containerd/containerd.sock")
    _api_server(c, ["10.0.16.201", "10.0.17.54"])  # EKS: the control plane's cross-account ENIs in the VPC
    # IRSA on application service accounts
    for ns, sa, role in (("storefront", "web", "storefront-s3"), ("data", "backup", "backup-admin"),
                         ("ci", "jenkins", "ci-admin")):
        for o in c.objs:
            if o["kind"] == "ServiceAccount" and o["metadata"]["namespace"] == ns and o["metadata"]["name"] == sa:
                o["metadata"].setdefault("annotations", {})["eks.amazonaws.com/role-arn"] = \
                    f"arn:aws:iam::{ACCOUNT}:role/{role}"
    # an internal load balancer, and an ALB ingress without TLS
    c.service("payments", "processor-internal", {"app": "processor"}, [{"port": 443, "targetPort": 8443}],
              type="LoadBalancer", annotations={"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
              lb_hostname="internal-k8s-payments-proc-0123456789.elb.eu-west-1.amazonaws.com")
    c.obj("networking.k8s.io/v1", "IngressClass", "alb", spec={"controller": "ingress.k8s.aws/alb"})
    c.obj("networking.k8s.io/v1", "Ingress", "checkout-alb", "checkout",
          annotations={"alb.ingress.kubernetes.io/scheme": "internet-facing", "alb.ingress.kubernetes.io/target-type": "ip"},
          spec={"ingressClassName": "alb", "rules": [{"host": "pay.example.com", "http": {"paths": [
              {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 9090}}}}]}}]},
          status={"loadBalancer": {"ingress": [{"hostname": "k8s-checkout-alb-9f8e7d6c5b-987654321.eu-west-1.elb."
                                                            "amazonaws.com"}]}})
    # Secrets Store CSI with the AWS provider in checkout
    c.crd("secretproviderclasses", "secrets-store.csi.x-k8s.io", "SecretProviderClass")
    c.obj("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass", "checkout-secrets", "checkout",
          spec={"provider": "aws", "parameters": {"objects": "- objectName: checkout/stripe\n  objectType: secretsmanager\n"}})
    for o in c.objs:
        if o["kind"] in ("Deployment", "ReplicaSet", "Pod") and o["metadata"].get("namespace") == "checkout":
            spec = o["spec"] if o["kind"] == "Pod" else o["spec"]["template"]["spec"]
            spec.setdefault("volumes", []).append({"name": "secrets", "csi": {
                "driver": "secrets-store.csi.k8s.io", "readOnly": True,
                "volumeAttributes": {"secretProviderClass": "checkout-secrets"}}})
            spec["containers"][0].setdefault("volumeMounts", []).append(mount("secrets", "/mnt/secrets", True))
    c.attachments.append(Attachment("eks-cluster", "eks-shop-describe-cluster.json", {"cluster": {
        "name": "eks-shop", "arn": f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/eks-shop", "version": "1.30",
        "platformVersion": "eks.8", "status": "ACTIVE", "endpoint": "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/eks-cluster-role",
        "resourcesVpcConfig": {"subnetIds": ["subnet-0a1", "subnet-0b2", "subnet-0c3"], "securityGroupIds": [],
                               "clusterSecurityGroupId": "sg-0123456789abcdef0", "vpcId": "vpc-0abc",
                               "endpointPublicAccess": True, "endpointPrivateAccess": False,
                               "publicAccessCidrs": ["0.0.0.0/0"]},
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.96.0.0/16", "ipFamily": "ipv4"},
        "logging": {"clusterLogging": [{"types": ["api"], "enabled": True},
                                       {"types": ["audit", "authenticator", "controllerManager", "scheduler"],
                                        "enabled": False}]},
        "identity": {"oidc": {"issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"}},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True},
        "upgradePolicy": {"supportType": "EXTENDED"}, "deletionProtection": False,
        "tags": {"team": "platform"}}}))
    c.attachments.append(Attachment("eks-access-entries", "eks-shop-access-entries.json", [
        {"accessEntry": {"clusterName": "eks-shop", "principalArn": f"arn:aws:iam::{ACCOUNT}:role/PlatformAdmin",
                         "kubernetesGroups": [], "username": f"arn:aws:sts::{ACCOUNT}:assumed-role/PlatformAdmin/"
                                                             "{{SessionName}}", "type": "STANDARD"},
         "associatedAccessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                                       "accessScope": {"type": "cluster", "namespaces": []}}]},
        {"accessEntry": {"clusterName": "eks-shop", "principalArn": f"arn:aws:iam::{ACCOUNT}:role/DataTeam",
                         "kubernetesGroups": ["data-readers"], "username": "data-team", "type": "STANDARD"},
         "associatedAccessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                                       "accessScope": {"type": "namespace", "namespaces": ["data"]}}]}]))
    # instance metadata options: the general node group requires IMDSv2 with hop limit 1 (pods blocked); the
    # batch node group keeps the AL2 defaults (IMDSv1 allowed, hop limit 2: pods reach the node role)
    c.attachments.append(Attachment("ec2-instances", "eks-shop-instances.json", {"Reservations": [{"Instances": [
        {"InstanceId": f"i-0abc{i:012x}", "PrivateDnsName": f"ip-10-0-16-{10 + i}.eu-west-1.compute.internal",
         "IamInstanceProfile": {"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/eks-node-group-general"},
         "MetadataOptions": {"State": "applied", "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled",
                             "InstanceMetadataTags": "disabled",
                             **({"HttpTokens": "optional", "HttpPutResponseHopLimit": 2} if i == 2 else
                                {"HttpTokens": "required", "HttpPutResponseHopLimit": 1})}}
        for i in range(3)]}]}))
    c.attachments.append(Attachment("trivy", "eks-shop-trivy.json", _trivy("eks-shop", c)))
    return c.snapshot(context=f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/eks-shop",
                      installed_groups=("velero.io", "secrets-store.csi.x-k8s.io",
                                        "admissionregistration.k8s.io"))


def _trivy(cluster: str, c: Cluster) -> Obj:
    """A ``trivy k8s --format json --report all`` style report for a few of the cluster's images."""
    findings = {
        "shop/web:1.4.2": [("CVE-2024-45337", "golang.org/x/crypto", "0.28.0", "0.31.0", "CRITICAL"),
                           ("CVE-2024-45338", "golang.org/x/net", "0.30.0", "0.33.0", "HIGH"),
                           ("CVE-2023-45288", "golang.org/x/net", "0.30.0", "0.33.0", "MEDIUM")],
        "redis:latest": [("CVE-2024-31449", "redis", "7.2.4", "7.2.6", "HIGH"),
                         ("CVE-2023-45853", "zlib1g", "1:1.2.13", "", "CRITICAL"),
                         ("CVE-2024-2511", "openssl", "3.0.13", "3.0.14", "LOW")],
        "paytools/processor:2.1": [("CVE-2022-22965", "spring-beans", "5.3.17", "5.3.18", "CRITICAL"),
                                   ("CVE-2022-42003", "jackson-databind", "2.13.2", "2.13.4.2", "HIGH")],
        "postgres:16.4": [("CVE-2024-10979", "postgresql-16", "16.4", "16.5", "HIGH")],
    }
    resources = []
    for o in c.objs:
        if o["kind"] not in ("Deployment", "StatefulSet", "DaemonSet", "CronJob"):
            continue
        spec = o["spec"]["jobTemplate"]["spec"]["template"]["spec"] if o["kind"] == "CronJob" else \
            o["spec"]["template"]["spec"]
        for ct in spec["containers"]:
            image = ct["image"]
            key = next((k for k in findings if image.endswith(k)), None)
            if key is None:
                continue
            repo_digest = f"{repo_of(image)}@{image.split('@', 1)[1] if '@' in image else digest(image)}"
            resources.append({
                "Namespace": o["metadata"]["namespace"], "Kind": o["kind"], "Name": o["metadata"]["name"],
                "Metadata": [{"RepoTags": [image], "RepoDigests": [repo_digest], "OS": {"Family": "debian",
                                                                                       "Name": "12.7"}}],
                "Results": [{"Target": f"{image} (debian 12.7)", "Class": "os-pkgs", "Type": "debian",
                             "Vulnerabilities": [{"VulnerabilityID": v, "PkgName": p, "InstalledVersion": iv,
                                                  "FixedVersion": fv, "Severity": s,
                                                  "Status": "fixed" if fv else "affected",
                                                  "PrimaryURL": f"https://avd.aquasec.com/nvd/{v.lower()}"}
                                                 for v, p, iv, fv, s in findings[key]]}]})
    return {"ClusterName": cluster, "Resources": sorted(resources, key=lambda r: (r["Namespace"], r["Kind"], r["Name"]))}


# ---- GKE ------------------------------------------------------------------------------------------
def gke_media() -> Snapshot:
    c = Cluster("gke-media", "gke", "v1.29.8-gke.1031000", pod_cidr="10.8.0.0/14", node_cidr="10.128.0.0/24")
    for i in range(3):
        zone = "europe-west1-" + "bcd"[i]
        c.node(f"gke-media-default-pool-5f3a{i}b2c-{'xk4p9q'[i:i + 4]}", provider_id=f"gce://media-prod/{zone}/"
               f"gke-media-default-pool-5f3a{i}b2c", labels={
                   "cloud.google.com/gke-nodepool": "default-pool", "cloud.google.com/gke-os-distribution": "cos",
                   "topology.kubernetes.io/zone": zone, "cloud.google.com/machine-family": "e2"},
               external_ip=f"34.76.{100 + i}.{20 + i}", os_image="Container-Optimized OS from Google",
               kubelet="v1.29.8-gke.1031000",
               # planted: a node reserved for media transcoding; Falco has no toleration for it
               taints=[{"key": "dedicated", "value": "media", "effect": "NoSchedule"}] if i == 2 else None)
    c.namespace("kube-system")
    c.namespace("default")
    c.namespace("gmp-system")
    c.namespace("gmp-public")
    for sa in ("kube-dns", "konnectivity-agent", "fluentbit-gke", "pdcsi-node-sa", "netd", "gke-metadata-server",
               "metrics-server"):
        c.service_account("kube-system", sa)
    c.workload("Deployment", "kube-system", "kube-dns", [container(
        "kubedns", "gke.gcr.io/k8s-dns-kube-dns:1.23.0-gke.9", ports=[{"name": "dns", "containerPort": 10053,
                                                                      "protocol": "UDP"}])],
        replicas=2, sa="kube-dns", labels={"k8s-app": "kube-dns"})
    c.service("kube-system", "kube-dns", {"k8s-app": "kube-dns"}, [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}], clusterIP="10.96.0.10")
    c.workload("DaemonSet", "kube-system", "fluentbit-gke", [container(
        "fluentbit", "gke.gcr.io/fluent-bit:v1.8.12-gke.42", volumeMounts=[mount("varlog", "/var/log")])],
        sa="fluentbit-gke", labels={"k8s-app": "fluentbit-gke"}, volumes=[hostpath("varlog", "/var/log")],
        tolerations=[{"operator": "Exists"}])
    c.workload("DaemonSet", "kube-system", "pdcsi-node", [container(
        "gce-pd-driver", "gke.gcr.io/gcp-compute-persistent-disk-csi-driver:v1.13.4-gke.2",
        securityContext={"privileged": True}, volumeMounts=[mount("kubelet-dir", "/var/lib/kubelet")])],
        sa="pdcsi-node-sa", labels={"k8s-app": "gcp-compute-persistent-disk-csi-driver"},
        volumes=[hostpath("kubelet-dir", "/var/lib/kubelet", "Directory")])
    c.workload("DaemonSet", "kube-system", "gke-metadata-server", [container(
        "gke-metadata-server", "gke.gcr.io/gke-metadata-server:20240830_2300_RC0", securityContext={"privileged": True})],
        sa="gke-metadata-server", hostNetwork=True, labels={"k8s-app": "gke-metadata-server"},
        tolerations=[{"operator": "Exists"}])
    c.workload("Deployment", "kube-system", "konnectivity-agent", [container(
        "konnectivity-agent", "gke.gcr.io/proxy-agent:v0.30.3-gke.0")], replicas=2, sa="konnectivity-agent")
    _common_apps(c, "europe-docker.pkg.dev/media-prod/apps",
                 lb_annotations={"cloud.google.com/l4-rbs": "enabled"}, lb_address={"lb": "34.140.22.18"})
    _common_rbac(c)
    _ci_and_monitoring(c, "/run/containerd/containerd.sock")
    _ingress_nginx(c, {}, {"lb": "35.195.7.41"})
    _falco(c, "/run/containerd/containerd.sock")
    _api_server(c, ["34.76.88.10"])  # planted: the public control-plane endpoint
    # planted: every authenticated Google account can view the cluster
    c.bind("all-authenticated-view", "view", ["Group:system:authenticated"])
    # Workload Identity
    for ns, sa, gsa in (("storefront", "web", "storefront@media-prod.iam.gserviceaccount.com"),
                        ("data", "backup", "db-backup@media-prod.iam.gserviceaccount.com"),
                        ("ci", "jenkins", "ci-admin@media-prod.iam.gserviceaccount.com")):
        for o in c.objs:
            if o["kind"] == "ServiceAccount" and o["metadata"]["namespace"] == ns and o["metadata"]["name"] == sa:
                o["metadata"].setdefault("annotations", {})["iam.gke.io/gcp-service-account"] = gsa
    # media: exposed through the Gateway API and a GCE ingress
    c.namespace("media", {"team": "media", "istio-injection": "enabled"})
    c.service_account("media", "streamer")
    c.workload("Deployment", "media", "streamer", [container(
        "streamer", "europe-docker.pkg.dev/media-prod/apps/streamer:5.0.1", ports=[{"name": "http",
                                                                                    "containerPort": 8080}],
        securityContext=RESTRICTED_SC), container("istio-proxy", "docker.io/istio/proxyv2:1.23.2")],
        replicas=2, sa="streamer", securityContext=POD_SC_NONROOT)
    c.service("media", "streamer", {"app": "streamer"}, [{"name": "http", "port": 80, "targetPort": "http"}])
    for plural, kind, scope in (("gatewayclasses", "GatewayClass", "Cluster"), ("gateways", "Gateway", "Namespaced"),
                                ("httproutes", "HTTPRoute", "Namespaced"),
                                ("peerauthentications", "PeerAuthentication", "Namespaced")):
        c.crd(plural, "security.istio.io" if kind == "PeerAuthentication" else "gateway.networking.k8s.io", kind,
              scope)
    c.obj("gateway.networking.k8s.io/v1", "GatewayClass", "gke-l7-global-external-managed",
          spec={"controllerName": "networking.gke.io/gateway"})
    c.obj("gateway.networking.k8s.io/v1", "Gateway", "public", "media", spec={
        "gatewayClassName": "gke-l7-global-external-managed",
        "listeners": [{"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "Same"}}}]},
        status={"addresses": [{"type": "IPAddress", "value": "34.117.50.9"}]})
    c.obj("gateway.networking.k8s.io/v1", "HTTPRoute", "streamer", "media", spec={
        "parentRefs": [{"name": "public"}], "hostnames": ["media.example.com"],
        "rules": [{"backendRefs": [{"name": "streamer", "port": 80}]}]})
    c.obj("networking.k8s.io/v1", "Ingress", "media-gce", "media", annotations={"kubernetes.io/ingress.class": "gce"},
          spec={"defaultBackend": {"service": {"name": "streamer", "port": {"number": 80}}}},
          status={"loadBalancer": {"ingress": [{"ip": "34.120.8.77"}]}})
    c.obj("security.istio.io/v1", "PeerAuthentication", "default", "istio-system", spec={"mtls": {"mode": "PERMISSIVE"}})
    # Kyverno verifies image signatures, but only in the media namespace
    c.namespace("kyverno")
    c.service_account("kyverno", "kyverno-admission-controller")
    c.workload("Deployment", "kyverno", "kyverno-admission-controller", [container(
        "kyverno", "ghcr.io/kyverno/kyverno:v1.12.6", securityContext=RESTRICTED_SC)],
        sa="kyverno-admission-controller", securityContext=POD_SC_NONROOT)
    c.crd("clusterpolicies", "kyverno.io", "ClusterPolicy", "Cluster")
    c.obj("kyverno.io/v1", "ClusterPolicy", "verify-media-images", spec={
        "validationFailureAction": "Enforce", "webhookTimeoutSeconds": 30,
        "rules": [{"name": "verify-signature", "match": {"any": [{"resources": {"kinds": ["Pod"],
                                                                              "namespaces": ["media"]}}]},
                   "verifyImages": [{"imageReferences": ["europe-docker.pkg.dev/media-prod/apps/*"],
                                     "attestors": [{"entries": [{"keys": {"publicKeys": "-----BEGIN PUBLIC KEY-----\n"
                                                                                        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
                                                                                        "-----END PUBLIC KEY-----"}}]}]}]}]})
    c.obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "kyverno-resource-validating-webhook-cfg",
          webhooks=[{"name": "validate.kyverno.svc-fail", "failurePolicy": "Fail", "sideEffects": "NoneOnDryRun",
                     "admissionReviewVersions": ["v1"], "clientConfig": {"service": {
                         "name": "kyverno-svc", "namespace": "kyverno", "path": "/validate/fail"}},
                     "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                                "resources": ["pods"], "scope": "Namespaced"}]}])
    c.namespace("istio-system")
    c.attachments.append(Attachment("gke-cluster", "gke-media-describe.json", {
        "name": "gke-media", "location": "europe-west1", "currentMasterVersion": "1.29.8-gke.1031000",
        "currentNodeVersion": "1.29.8-gke.1031000", "selfLink": "https://container.googleapis.com/v1/projects/media-prod/"
                                                                "locations/europe-west1/clusters/gke-media",
        "releaseChannel": {"channel": "REGULAR"}, "legacyAbac": {}, "masterAuth": {"clusterCaCertificate": "<omitted>"},
        "masterAuthorizedNetworksConfig": {"enabled": False},
        "privateClusterConfig": {"enablePrivateNodes": False, "enablePrivateEndpoint": False},
        "ipAllocationPolicy": {"useIpAliases": True},
        "networkPolicy": {}, "addonsConfig": {"networkPolicyConfig": {"disabled": True},
                                              "httpLoadBalancing": {}, "gcePersistentDiskCsiDriverConfig": {"enabled": True}},
        "networkConfig": {"datapathProvider": "LEGACY_DATAPATH"},
        "databaseEncryption": {"state": "DECRYPTED"},
        "workloadIdentityConfig": {"workloadPool": "media-prod.svc.id.goog"},
        "shieldedNodes": {"enabled": True}, "binaryAuthorization": {"evaluationMode": "DISABLED"},
        "loggingService": "logging.googleapis.com/kubernetes",
        "loggingConfig": {"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS"]}},
        "monitoringService": "monitoring.googleapis.com/kubernetes",
        "authenticatorGroupsConfig": {}, "securityPostureConfig": {"mode": "BASIC", "vulnerabilityMode": "VULNERABILITY_DISABLED"},
        "nodePools": [{"name": "default-pool", "config": {"machineType": "e2-standard-4", "imageType": "COS_CONTAINERD",
                                                          "serviceAccount": "default",
                                                          "workloadMetadataConfig": {"mode": "GKE_METADATA"},
                                                          "shieldedInstanceConfig": {"enableIntegrityMonitoring": True}},
                       "management": {"autoUpgrade": True, "autoRepair": True}}]}))
    return c.snapshot(context="gke_media-prod_europe-west1_gke-media",
                      installed_groups=("gateway.networking.k8s.io", "security.istio.io", "kyverno.io",
                                        "admissionregistration.k8s.io"))


# ---- AKS ------------------------------------------------------------------------------------------
def aks_bank() -> Snapshot:
    c = Cluster("aks-bank", "aks", "v1.31.2", pod_cidr="10.244.0.0/16", node_cidr="10.224.0.0/24")
    sub = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    for i in range(3):
        c.node(f"aks-nodepool1-3142{i}576-vmss00000{i}", provider_id=(
            f"azure:///subscriptions/{sub}/resourceGroups/mc_bank-rg_aks-bank_westeurope/providers/"
            f"Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-31420576-vmss/virtualMachines/{i}"),
            labels={"kubernetes.azure.com/agentpool": "nodepool1", "agentpool": "nodepool1",
                    "kubernetes.azure.com/cluster": "MC_bank-rg_aks-bank_westeurope",
                    "topology.kubernetes.io/zone": f"westeurope-{i + 1}", "kubernetes.azure.com/mode": "system"},
            os_image="Ubuntu 22.04.5 LTS", kubelet="v1.31.2")
    c.namespace("kube-system")
    c.namespace("default")
    c.namespace("gatekeeper-system", {"control-plane": "controller-manager"})
    for sa in ("coredns", "azure-npm", "csi-azuredisk-node-sa", "cloud-node-manager", "ama-logs",
               "secrets-store-csi-driver", "azure-wi-webhook-admin"):
        c.service_account("kube-system", sa)
    c.workload("Deployment", "kube-system", "coredns", [container(
        "coredns", "mcr.microsoft.com/oss/kubernetes/coredns:v1.11.3-2",
        ports=[{"name": "dns", "containerPort": 53, "protocol": "UDP"}])], replicas=2, sa="coredns",
        labels={"k8s-app": "kube-dns"})
    c.service("kube-system", "kube-dns", {"k8s-app": "kube-dns"}, [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}], clusterIP="10.96.0.10")
    c.workload("DaemonSet", "kube-system", "azure-npm", [container(
        "azure-npm", "mcr.microsoft.com/containernetworking/azure-npm:v1.5.39", securityContext={"privileged": True})],
        sa="azure-npm", hostNetwork=True, labels={"k8s-app": "azure-npm"})
    c.workload("DaemonSet", "kube-system", "azure-ip-masq-agent", [container(
        "azure-ip-masq-agent", "mcr.microsoft.com/aks/ip-masq-agent-v2:v0.1.13",
        securityContext={"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}})], hostNetwork=True,
        labels={"k8s-app": "azure-ip-masq-agent"})
    c.workload("DaemonSet", "kube-system", "cloud-node-manager", [container(
        "cloud-node-manager", "mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.31.1")],
        sa="cloud-node-manager", hostNetwork=True)
    c.workload("DaemonSet", "kube-system", "csi-azuredisk-node", [container(
        "azuredisk", "mcr.microsoft.com/oss/kubernetes-csi/azuredisk-csi:v1.30.4", securityContext={"privileged": True},
        volumeMounts=[mount("mountpoint-dir", "/var/lib/kubelet")])], sa="csi-azuredisk-node-sa", hostNetwork=True,
        volumes=[hostpath("mountpoint-dir", "/var/lib/kubelet", "DirectoryOrCreate")])
    c.workload("DaemonSet", "kube-system", "ama-logs", [container(
        "ama-logs", "mcr.microsoft.com/azuremonitor/containerinsights/ciprod:3.1.24",
        volumeMounts=[mount("docker-sock", "/var/run/host"), mount("varlog", "/var/log")])],
        sa="ama-logs", volumes=[hostpath("docker-sock", "/var/run"), hostpath("varlog", "/var/log")])
    c.workload("DaemonSet", "kube-system", "aks-secrets-store-csi-driver", [container(
        "secrets-store", "mcr.microsoft.com/oss/kubernetes-csi/secrets-store/driver:v1.4.5",
        securityContext={"privileged": True})], sa="secrets-store-csi-driver")
    _common_apps(c, "bankacr.azurecr.io",
                 lb_annotations={}, lb_address={"lb": "20.73.144.12"})
    _common_rbac(c)
    _ci_and_monitoring(c, "/run/containerd/containerd.sock")
    _ingress_nginx(c, {"service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz"},
                   {"lb": "20.73.150.3"})
    _falco(c, "/run/containerd/containerd.sock")
    _api_server(c, ["20.73.161.9"])  # planted: the public API server address
    # planted: Grafana published on a public load balancer
    c.workload("Deployment", "monitoring", "grafana", [container(
        "grafana", "docker.io/grafana/grafana:11.2.0", ports=[{"name": "http", "containerPort": 3000}],
        securityContext=RESTRICTED_SC)], labels={"app": "grafana"}, securityContext=POD_SC_NONROOT)
    c.service("monitoring", "grafana", {"app": "grafana"}, [{"name": "http", "port": 80, "targetPort": "http"}],
              type="LoadBalancer", lb="20.73.144.40")
    # AKS Workload Identity: annotation plus the pod label
    for o in c.objs:
        if o["kind"] == "ServiceAccount" and (o["metadata"]["namespace"], o["metadata"]["name"]) in (
                ("storefront", "web"), ("data", "backup")):
            o["metadata"].setdefault("annotations", {})["azure.workload.identity/client-id"] = \
                "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9" if o["metadata"]["name"] == "web" else \
                "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
        if o["kind"] in ("Deployment", "ReplicaSet", "Pod") and o["metadata"].get("namespace") == "storefront" \
                and o["metadata"]["name"].startswith("web"):
            labels = o["metadata"]["labels"] if o["kind"] == "Pod" else o["spec"]["template"]["metadata"]["labels"]
            labels["azure.workload.identity/use"] = "true"
    # an internal load balancer for the payments back office
    c.service("payments", "backoffice", {"app": "processor"}, [{"port": 443, "targetPort": 8443}], type="LoadBalancer",
              annotations={"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}, lb="10.224.0.200")
    c.bind("aks-cluster-admin-binding-aad", "cluster-admin", ["Group:6c1d7e2f-3a4b-4c5d-8e9f-0a1b2c3d4e5f"])
    c.crd("constrainttemplates", "templates.gatekeeper.sh", "ConstraintTemplate", "Cluster")
    c.obj("templates.gatekeeper.sh/v1", "ConstraintTemplate", "k8sazurev2noprivilege", spec={
        "crd": {"spec": {"names": {"kind": "K8sAzureV2NoPrivilege"}}}})
    c.crd("secretproviderclasses", "secrets-store.csi.x-k8s.io", "SecretProviderClass")
    c.obj("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass", "payments-kv", "payments",
          spec={"provider": "azure", "parameters": {"keyvaultName": "bank-kv", "tenantId": sub}})
    c.namespace("external-secrets")
    c.service_account("external-secrets", "external-secrets", {"azure.workload.identity/client-id":
                                                               "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"})
    c.workload("Deployment", "external-secrets", "external-secrets", [container(
        "external-secrets", "ghcr.io/external-secrets/external-secrets:v0.10.4", securityContext=RESTRICTED_SC)],
        sa="external-secrets", securityContext=POD_SC_NONROOT, pod_labels={"azure.workload.identity/use": "true"})
    c.bind("external-secrets-secrets", "secret-writer", ["ServiceAccount:external-secrets:external-secrets"])
    c.cluster_role("secret-writer", [rule([""], ["secrets"], ["get", "list", "watch", "create", "update", "delete"])])
    for plural, kind, scope in (("externalsecrets", "ExternalSecret", "Namespaced"),
                                ("clustersecretstores", "ClusterSecretStore", "Cluster")):
        c.crd(plural, "external-secrets.io", kind, scope)
    c.obj("external-secrets.io/v1beta1", "ClusterSecretStore", "bank-kv", spec={"provider": {"azurekv": {
        "vaultUrl": "https://bank-kv.vault.azure.net", "authType": "WorkloadIdentity",
        "serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"}}}})
    c.obj("external-secrets.io/v1beta1", "ExternalSecret", "web-db", "storefront", spec={
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": "bank-kv"}, "refreshInterval": "1h",
        "target": {"name": "web-db"}, "data": [{"secretKey": "DB_PASSWORD", "remoteRef": {"key": "web-db-password"}}]})
    c.attachments.append(Attachment("aks-cluster", "aks-bank-show.json", {
        "id": f"/subscriptions/{sub}/resourcegroups/bank-rg/providers/Microsoft.ContainerService/managedClusters/aks-bank",
        "name": "aks-bank", "type": "Microsoft.ContainerService/ManagedClusters", "location": "westeurope",
        "kubernetesVersion": "1.31.2", "currentKubernetesVersion": "1.31.2", "enableRbac": True,
        "disableLocalAccounts": False, "fqdn": "aks-bank-dns-1a2b3c4d.hcp.westeurope.azmk8s.io",
        "aadProfile": {"managed": True, "enableAzureRbac": False, "adminGroupObjectIDs": [
            "6c1d7e2f-3a4b-4c5d-8e9f-0a1b2c3d4e5f"]},
        "apiServerAccessProfile": {"enablePrivateCluster": False, "authorizedIpRanges": []},
        "networkProfile": {"networkPlugin": "azure", "networkPolicy": "azure", "outboundType": "loadBalancer",
                           "serviceCidr": "10.96.0.0/16"},
        "agentPoolProfiles": [{"name": "nodepool1", "count": 3, "enableNodePublicIp": False,
                               "enableEncryptionAtHost": False, "mode": "System", "osSKU": "Ubuntu"}],
        "identityProfile": {"kubeletidentity": {
            "clientId": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "objectId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "resourceId": f"/subscriptions/{sub}/resourcegroups/MC_bank-rg_aks-bank_westeurope/providers/"
                          "Microsoft.ManagedIdentity/userAssignedIdentities/aks-bank-agentpool"}},
        "oidcIssuerProfile": {"enabled": True}, "securityProfile": {"workloadIdentity": {"enabled": True},
                                                                    "defender": {"securityMonitoring": {"enabled": False}}},
        "addonProfiles": {"azurepolicy": {"enabled": True}, "omsagent": {"enabled": True},
                          "azureKeyvaultSecretsProvider": {"enabled": True, "config": {"enableSecretRotation": "false"}}},
        "autoUpgradeProfile": {"upgradeChannel": "none"}, "sku": {"name": "Base", "tier": "Free"}}))
    c.attachments.append(Attachment("aks-diagnostic-settings", "aks-bank-diagnostic-settings.json", [
        {"name": "to-law", "logs": [{"category": "kube-apiserver", "enabled": True},
                                    {"category": "kube-audit", "enabled": False},
                                    {"category": "kube-audit-admin", "enabled": False},
                                    {"category": "guard", "enabled": False}],
         "workspaceId": f"/subscriptions/{sub}/resourcegroups/bank-rg/providers/microsoft.operationalinsights/"
                        "workspaces/bank-law"}]))
    return c.snapshot(context="aks-bank", installed_groups=("templates.gatekeeper.sh", "secrets-store.csi.x-k8s.io",
                                                            "external-secrets.io", "admissionregistration.k8s.io"))


# ---- synthetic clusters for benchmarks ------------------------------------------------------------------
def synthetic(pods: int, *, namespaces: int | None = None, policies: int | None = None, roles: int | None = None,
              bindings: int | None = None, service_accounts: int | None = None, seed: int = 0) -> Snapshot:
    """A large, realistic-looking cluster: deployments, services, policies, roles, bindings and accounts.

    Defaults scale with ``pods``: one namespace per 20 pods, one policy per 10 pods, one role
    per 5 pods, one binding per 2 pods and one service account per pod, capped sensibly.
    """
    rng = random.Random(seed)
    n_ns = namespaces or max(1, pods // 20)
    n_pol = policies if policies is not None else pods // 10
    n_roles = roles if roles is not None else pods // 5
    n_bind = bindings if bindings is not None else pods // 2
    n_sa = service_accounts if service_accounts is not None else pods
    nodes = max(3, pods // 30)
    c = Cluster(f"synthetic-{pods}", "eks", "v1.30.4-eks-a737599", pod_cidr="10.0.0.0/8", node_cidr="172.16.0.0/12",
                pods_per_node_prefix=24)
    for i in range(nodes):
        c.node(f"node-{i:05d}", provider_id=f"aws:///eu-west-1a/i-{i:017x}",
               labels={"eks.amazonaws.com/nodegroup": f"ng-{i % 4}"}, os_image="Amazon Linux 2023",
               external_ip=f"52.{(i >> 8) & 255}.{i & 255}.9" if i % 10 == 0 else None)
    c.namespace("kube-system")
    c.workload("Deployment", "kube-system", "coredns", [container("coredns", "coredns:1.11.3", ports=[
        {"name": "dns", "containerPort": 53, "protocol": "UDP"}])], replicas=2, labels={"k8s-app": "kube-dns"})
    ns_names = [f"team-{i:04d}" for i in range(n_ns)]
    tiers, apps = ("web", "api", "db", "cache", "worker"), [f"app{i}" for i in range(12)]
    for i, ns in enumerate(ns_names):
        c.namespace(ns, {"team": f"t{i % 50}", "env": rng.choice(["prod", "staging", "dev"])})
    sa_per_ns = max(1, n_sa // n_ns)
    for i, ns in enumerate(ns_names):
        for j in range(sa_per_ns):
            c.service_account(ns, f"sa-{j}", {"eks.amazonaws.com/role-arn": f"arn:aws:iam::1:role/r{i}-{j}"}
                              if j == 0 and i % 7 == 0 else None)
    # pods via deployments of 1-10 replicas spread across namespaces
    made, k = 0, 0
    while made < pods - 2:
        ns = ns_names[k % n_ns]
        replicas = min(rng.randint(1, 10), pods - 2 - made)
        tier, app = rng.choice(tiers), rng.choice(apps)
        name = f"{app}-{tier}-{k}"
        risky = rng.random()
        sc: Obj = {"privileged": True} if risky < 0.02 else ({"runAsUser": 0} if risky < 0.1 else
                                                             {"runAsNonRoot": True, "allowPrivilegeEscalation": False})
        c.workload("Deployment", ns, name, [container(
            "main", f"registry.example.com/{app}:{rng.randint(1, 9)}.{rng.randint(0, 20)}",
            ports=[{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}],
            securityContext=sc,
            env=[{"name": "MODE", "value": tier}])], replicas=replicas, sa=f"sa-{k % sa_per_ns}",
            labels={"app": name, "tier": tier, "component": app},
            **({"hostNetwork": True} if risky > 0.995 else {}))
        if rng.random() < 0.5:
            c.service(ns, name, {"app": name}, [{"name": "http", "port": 80, "targetPort": "http"}],
                      type="LoadBalancer" if rng.random() < 0.03 else "ClusterIP")
        made += replicas
        k += 1
    # network policies: default-deny, tier-to-tier, namespace selectors, ipBlocks, named ports
    for i in range(n_pol):
        ns = ns_names[i % n_ns]
        kind = i % 6
        if kind == 0:
            spec: Obj = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": [DNS_EGRESS]}
        elif kind == 1:
            spec = {"podSelector": {"matchLabels": {"tier": "db"}}, "ingress": [
                {"from": [{"podSelector": {"matchLabels": {"tier": "api"}}}], "ports": [{"port": "http"}]}]}
        elif kind == 2:
            spec = {"podSelector": {"matchLabels": {"tier": rng.choice(tiers)}}, "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"team": f"t{rng.randint(0, 49)}"}}}]}]}
        elif kind == 3:
            spec = {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]},
                    "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [
                        "10.0.0.0/8"]}}], "ports": [{"port": 443}]}, DNS_EGRESS]}
        elif kind == 4:
            spec = {"podSelector": {"matchLabels": {"component": rng.choice(apps)}}, "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"env": "prod"}},
                           "podSelector": {"matchLabels": {"tier": "web"}}}],
                 "ports": [{"port": 8000, "endPort": 9000}]}]}
        else:
            spec = {"podSelector": {"matchLabels": {"tier": "web"}}, "ingress": [{"ports": [{"port": "http"}]}]}
        c.network_policy(ns, f"np-{i}", spec)
    # RBAC: roles (some risky) and bindings to users, groups and service accounts
    verbs_pool = (["get", "list", "watch"], ["create", "update", "patch"], ["*"], ["get"], ["create"])
    res_pool = (["pods"], ["secrets"], ["deployments"], ["configmaps"], ["pods/exec"], ["services"], ["*"])
    role_names = []
    for i in range(n_roles):
        rules_ = []
        for _ in range(rng.randint(1, 4)):
            res = rng.choice(res_pool)
            group = "apps" if res == ["deployments"] else ("*" if res == ["*"] else "")
            rules_.append(rule([group], res, rng.choice(verbs_pool)))
        if i % 3 == 0:
            c.cluster_role(f"cr-{i}", rules_)
            role_names.append(("ClusterRole", f"cr-{i}", None))
        else:
            ns = ns_names[i % n_ns]
            c.role(ns, f"role-{i}", rules_)
            role_names.append(("Role", f"role-{i}", ns))
    for i in range(n_bind):
        kind, rname, rns = role_names[i % len(role_names)] if role_names else ("ClusterRole", "view", None)
        who = rng.random()
        ns = rns or ns_names[i % n_ns]
        subj = (f"ServiceAccount:{ns}:sa-{rng.randrange(sa_per_ns)}" if who < 0.6 else
                f"User:user{rng.randrange(max(1, pods // 10))}" if who < 0.85 else f"Group:group{rng.randrange(200)}")
        if kind == "ClusterRole" and i % 4 == 0:
            c.bind(f"crb-{i}", rname, [subj])
        else:
            c.bind(f"rb-{i}", rname, [subj], ns=ns, role_kind=kind)
    return c.snapshot(context=f"synthetic-{pods}")


GENERATORS = {"eks-shop": eks_shop, "gke-media": gke_media, "aks-bank": aks_bank}
#: Where the sample audit logs are written (a subfolder, so that they are not taken for samples).
AUDIT_LOGS = "audit-logs"


def with_audit_log(snap: Snapshot, folder: Path) -> tuple[Path, bytes]:
    """Write the sample's audit log into ``folder`` (when it differs) and attach its summary to ``snap``."""
    name, data = sample_log(snap)
    path = folder / name
    if not path.exists() or path.read_bytes() != data:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    snap.attach("audit-log", path)
    return path, data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify committed samples match a fresh run")
    parser.add_argument("--out", default=str(HERE), help="output folder (default: data/samples)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    bad = []
    for name, gen in GENERATORS.items():
        path = out / f"{name}.json.gz"
        snap = gen()
        if args.check:
            check_dir = out / f".{name}.check"
            log, data = with_audit_log(snap, check_dir)
            fresh = check_dir / f"{name}.json.gz"
            snap.save(fresh)
            committed_log = out / AUDIT_LOGS / log.name
            same = path.exists() and fresh.read_bytes() == path.read_bytes() and committed_log.exists() \
                and committed_log.read_bytes() == data
            for f in check_dir.iterdir():
                f.unlink()
            check_dir.rmdir()
            if not same:
                bad.append(name)
            continue
        with_audit_log(snap, out / AUDIT_LOGS)
        snap.save(path)
        print(f"{path}: {sum(snap.counts().values())} objects, {len(snap.gaps)} gaps, "
              f"{len(snap.attachments)} attachments")
    if bad:
        print(f"stale samples (run python data/samples/generate.py): {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

