"""NET-SERVICE-EXTERNAL-IPS: Services that claim external IPs (CVE-2020-8554).

Any user who may create or update a Service can set ``spec.externalIPs`` to an address
they do not own; kube-proxy then sends the cluster's traffic for that address to the
Service's pods (CVE-2020-8554, kubernetes/kubernetes#97076; no fix, only mitigations: the
``DenyServiceExternalIPs`` admission plugin, or a policy engine that rejects the field).
Runs over the model (``analyzer="model"``).
"""

from __future__ import annotations

from collections.abc import Iterator

from kubesec_nb.checks import Evidence, Finding, check
from kubesec_nb.model import Model, object_key


@check("NET-SERVICE-EXTERNAL-IPS", title="Services with externalIPs (CVE-2020-8554 traffic interception)",
       severity="medium", category="Ingress and Egress Control", analyzer="model", requires=("services",),
       references=("kubernetes/kubernetes#97076 (CVE-2020-8554)", "trivy KSV-0108"),
       remediation="Remove `spec.externalIPs` (use a LoadBalancer Service or an Ingress), and reject the field "
                   "cluster-wide: the DenyServiceExternalIPs admission plugin where you control the API server, or "
                   "a ValidatingAdmissionPolicy / Kyverno / Gatekeeper policy on managed clusters.")
def _external_ips(model: Model) -> Iterator[Finding]:
    for svc in model.items("services"):
        ips = (svc.get("spec") or {}).get("externalIPs") or []
        if ips:
            ns = svc["metadata"]["namespace"]
            yield Finding(kind="Service", namespace=ns, name=svc["metadata"]["name"],
                          platform=Model.platform_namespace(ns),
                          evidence=(Evidence(f"Service {object_key(svc)}", "spec.externalIPs",
                                             ", ".join(map(str, ips))),),
                          message=f"kube-proxy sends all cluster traffic for {', '.join(map(str, ips))} to this "
                                  "Service's pods, whoever owns those addresses")
