"""The ``AUDIT-*`` checks: one per incident-response view, plus risky grants the log shows unused.

Every check is not assessed without an audit log. Evidence names the audit events (their IDs), the time window
and the request. Findings by platform subjects (Kubernetes controllers, the provider's components) carry
``platform`` so that the runner's ``platform_findings`` rule applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from kubesec_nb.audit.analysis import AuditAnalysis
from kubesec_nb.audit.views import is_public_path
from kubesec_nb.checks import SEVERITY_RANK, Evidence, Finding, NotAssessed, check
from kubesec_nb.rbac.subjects import parse_subject, subject_platform_reason

AUDIT = "Audit Logging and Monitoring"
REFS_FALCO = "Falco k8saudit rules"
#: Audit IDs listed as evidence per finding (the count says how many there were).
MAX_IDS = 5


def _assessed(a: AuditAnalysis) -> None:
    if a.missing:
        raise NotAssessed(a.missing)


def _platform(subject: str) -> str | None:
    if subject.startswith("("):
        return None
    return subject_platform_reason(parse_subject(subject))


def _event(audit_id: str, time: str, what: str) -> Evidence:
    return Evidence(f"audit event {audit_id}", time, what)


def _window(rows: pd.DataFrame) -> Evidence:
    return Evidence("audit log", "window", f"{rows['time'].min()} .. {rows['time'].max()} ({len(rows)} requests)")


def _events(rows: pd.DataFrame, what: Any) -> tuple[Evidence, ...]:
    picked = rows.head(MAX_IDS)
    return tuple(_event(r["audit_id"], r["time"], what(r)) for _, r in picked.iterrows())


@check("AUDIT-EXEC-INTO-POD", title="Interactive access into pods (exec, attach, port-forward, ephemeral "
       "containers, kubelet exec)", severity="medium", category="Runtime Threat Detection",
       remediation="Confirm each session was authorised (break-glass ticket); remove pods/exec, pods/attach, "
                   "pods/portforward, pods/ephemeralcontainers and nodes/proxy from everyday roles (see "
                   "RBAC-POD-EXEC and a.audit.least_privilege).",
       analyzer="audit", references=("Falco k8saudit: Attach/Exec Pod", "Datadog k8s exec detection",
                                     "posture-cloud section 4 item 3"))
def _exec(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    df = a.exec_sessions
    for keys, rows in df.groupby(["subject", "namespace", "pod", "action", "outcome"], sort=True):
        subject, ns, pod, action, result = (str(k) for k in keys)
        if result not in ("allowed", "unknown"):
            continue
        ev = (*_events(rows, lambda r: f"{r['action']} {r['request']} from {r['source_ip']} -> {r['code']}"),
              _window(rows))
        cmd = ", ".join(sorted({c for c in rows["command"] if c}))
        yield Finding(namespace=ns or None, kind="Pod" if not action.startswith("kubelet") else "Node", name=pod,
                      subject=subject, evidence=ev, platform=_platform(subject),
                      message=f"{subject} ran {len(rows)} {action} session(s) into {ns + '/' if ns else ''}{pod}"
                              + (f" (commands: {cmd})" if cmd else ""))


@check("AUDIT-SECRET-READ", title="Secrets read, listed or service-account tokens minted", severity="high",
       category="Kubernetes Secrets",
       remediation="Check that each reader needs the Secret; limit reads to named Secrets (resourceNames) and "
                   "remove list/watch; rotate Secrets read by unexpected subjects.",
       analyzer="audit", references=("Falco k8saudit: K8s Secret Get Successfully", "KubeHound TOKEN_LIST",
                                     "posture-cloud section 4 item 4"))
def _secrets(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    df = a.secret_access
    df = df[(df["outcome"] == "allowed") & ~df["owner"]]
    for key, rows in df.groupby("subject", sort=True):
        subject = str(key)
        lists = rows[rows["verb"].isin(["list", "watch"])]
        severity = "critical" if (lists["namespace"] == "").any() else ("high" if not lists.empty else "medium")
        objs = [f"{v} {res} {ns + '/' if ns else '(all namespaces)/' if v != 'get' else ''}{n or '*'}"
                f" x{c}" for v, res, ns, n, c in
                zip(rows["verb"], rows["resource"], rows["namespace"], rows["name"], rows["count"], strict=True)]
        ev = tuple(Evidence(f"audit event {fid}", f"{first} .. {last}", f"{v} {res} {ns}/{n or '*'} ({c} requests)")
                   for fid, first, last, v, res, ns, n, c in list(zip(
                       rows["first_id"], rows["first"], rows["last"], rows["verb"], rows["resource"],
                       rows["namespace"], rows["name"], rows["count"], strict=True))[:MAX_IDS])
        yield Finding(subject=subject, kind="Secret", severity=severity, platform=_platform(subject),
                      evidence=(*ev, Evidence("audit log", "window", f"{rows['first'].min()} .. {rows['last'].max()}")),
                      message=f"{subject} read Secrets it does not mount: " + "; ".join(objs[:8])
                              + (f"; and {len(objs) - 8} more" if len(objs) > 8 else ""))


@check("AUDIT-PRIVILEGED-POD-CREATED", title="Privileged or host-mounting pods created", severity="high",
       category="Pod Security and Security Contexts",
       remediation="Find who needed the privileged pod; enforce Pod Security 'baseline' or 'restricted' on the "
                   "namespace (pod-security.kubernetes.io/enforce) so the API server refuses such pods.",
       analyzer="audit", references=("Falco k8saudit: Create Privileged Pod / Create HostNetwork Pod / Create "
                                     "Sensitive Mount Pod", "posture-cloud section 4 item 6"))
def _privileged(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    cov = [s["coverage"] for s in a.summaries]
    if sum(c["pod_writes"] for c in cov) and not sum(c["pod_writes_read"] for c in cov):
        raise NotAssessed("the log has pod and workload writes but no request bodies or Pod Security "
                          "audit annotations (Metadata level): privileged settings are not in the log")
    df = a.privileged_pods
    for _, r in df[df["outcome"].isin(["allowed", "unknown"])].iterrows():
        what = "; ".join(f"{k}: {r[k]}" for k in ("privileged", "host_namespaces", "host_paths", "capabilities",
                                                  "psa_violations") if r[k])
        yield Finding(namespace=r["namespace"] or None, kind=r["resource"], name=r["name"], subject=str(r["subject"]),
                      platform=_platform(str(r["subject"])),
                      evidence=(_event(r["audit_id"], r["time"], f"{r['verb']} {r['request']} -> {r['code']}"),
                                Evidence(f"audit event {r['audit_id']}", "requestObject", what)),
                      message=f"{r['subject']} {r['verb']}d {r['resource']} {r['namespace']}/{r['name']}: {what}")


@check("AUDIT-RBAC-CHANGE", title="RBAC roles or bindings changed (critical when the change opens an "
       "escalation)", severity="medium", category="Role-Based Access Control",
       remediation="Confirm each change was reviewed; revert unexpected bindings; grant RBAC writes only to "
                   "the platform pipeline (RBAC-RBAC-WRITE).",
       analyzer="audit", references=("Falco k8saudit: ClusterRole/Role/Binding created or modified",
                                     "posture-cloud section 4 item 5"))
def _rbac(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    df = a.rbac_changes
    for _, r in df[df["outcome"].isin(["allowed", "unknown"])].iterrows():
        ev = [_event(r["audit_id"], r["time"], f"{r['verb']} {r['request']} -> {r['code']}")]
        if r["role_ref"] or r["subjects"]:
            ev.append(Evidence(f"audit event {r['audit_id']}", "requestObject",
                               f"roleRef {r['role_ref']}; subjects {r['subjects']}"))
        if r["new_escalations"]:
            ev.append(Evidence(f"{r['kind']} {r['namespace'] + '/' if r['namespace'] else ''}{r['name']}",
                               "escalation analysis", r["new_escalations"]))
        yield Finding(namespace=r["namespace"] or None, kind=r["kind"], name=r["name"], subject=r["subject"],
                      severity="critical" if r["new_escalations"] else None, platform=_platform(r["subject"]),
                      evidence=tuple(ev),
                      message=f"{r['subject']} {r['verb']} {r['kind']} {r['name']}"
                              + (f": enables {r['new_escalations']}" if r["new_escalations"] else ""))


@check("AUDIT-ANONYMOUS", title="Anonymous or unauthenticated requests", severity="high",
       category="Secure API Server Access",
       remediation="Disable anonymous authentication where the provider allows it, remove bindings to "
                   "system:anonymous and system:unauthenticated, and restrict the API endpoint to known networks.",
       analyzer="audit", references=("Falco k8saudit: Anonymous Request Allowed", "CIS Kubernetes 1.2.1",
                                     "posture-cloud section 4 item 2"))
def _anonymous(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    df = a.anonymous
    df = df[~((df["outcome"] == "allowed") & df["resource"].map(is_public_path))]
    for keys, rows in df.groupby(["source_ip", "outcome"], sort=True):
        ip, result = (str(k) for k in keys)
        allowed = result == "allowed"
        what = sorted({f"{v} {r}" for v, r in zip(rows["verb"], rows["resource"], strict=True)})
        yield Finding(subject=str(rows["subject"].iloc[0]), name=ip or "(unknown source)", kind="SourceIP",
                      severity="high" if allowed else "low",
                      evidence=(*_events(rows, lambda r: f"{r['verb']} {r['request']} -> {r['code']}"),
                                _window(rows)),
                      message=f"{len(rows)} {result} anonymous request(s) from {ip or 'an unknown source'}: "
                              + ", ".join(what[:6]) + (" ..." if len(what) > 6 else ""))


@check("AUDIT-FORBIDDEN-BURST", title="Bursts of denied (403) requests from one subject", severity="medium",
       category=AUDIT,
       remediation="Find out who holds the subject's credentials: a burst of denials is how stolen tokens are "
                   "probed; rotate the credential if the activity is not expected.",
       analyzer="audit", references=("posture-cloud section 4 item 7", "MITRE ATT&CK T1613 Container and "
                                                                       "Resource Discovery"))
def _bursts(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    df = a.forbidden_bursts
    for key, rows in df.groupby("subject", sort=True):
        subject = str(key)
        worst = rows.sort_values(["denied", "minute"], ascending=[False, True]).iloc[0]
        ev = tuple(Evidence(f"audit event {r['first_id']}", r["minute"], f"{r['denied']} denied, e.g. {r['example']}")
                   for _, r in rows.head(MAX_IDS).iterrows())
        yield Finding(subject=subject, platform=_platform(subject), evidence=ev,
                      message=f"{subject} was denied {int(rows['denied'].sum())} requests in {len(rows)} minute(s) "
                              f"with at least {a.options.forbidden_burst}; worst {worst['minute']}: "
                              f"{worst['denied']} ({worst['example']})")


@check("AUDIT-UNUSUAL-SOURCE", title="Requests from unusual source IPs or user agents", severity="medium",
       category=AUDIT,
       remediation="Confirm the source belongs to the subject's owner; a token used from a new address or with "
                   "curl is a sign of theft: rotate it and review what it did (a.audit.timeline).",
       analyzer="audit", references=("posture-cloud section 4 item 7", REFS_FALCO))
def _sources(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    df = a.unusual_sources
    for _, r in df.iterrows():
        yield Finding(subject=str(r["subject"]), kind=r["kind"], name=r["value"], platform=_platform(str(r["subject"])),
                      evidence=(Evidence(f"audit event {r['first_id']}", f"{r['first']} .. {r['last']}",
                                         f"{r['kind']} {r['value']}: {r['count']} requests"),),
                      message=f"{r['subject']} used {r['kind']} {r['value']}: {r['why']}")


@check("AUDIT-SA-TOKEN-OUTSIDE", title="Service-account tokens used from outside the cluster", severity="high",
       category="Service Account Security",
       remediation="Service-account tokens belong to pods: find where the token leaked, rotate it (delete the "
                   "token Secret or restart the pods), and use a cloud identity or short-lived tokens for "
                   "external automation.",
       analyzer="audit", references=("posture-cloud section 4 item 7", "Microsoft Threat Matrix for Kubernetes: "
                                                                       "Access cloud resources"))
def _outside(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    if not a.cluster_networks:
        raise NotAssessed("the snapshot has no pod or node addresses (and audit_cluster_networks is not set): "
                          "cannot tell inside from outside")
    df = a.outside_tokens
    for _, r in df.iterrows():
        yield Finding(subject=str(r["subject"]), kind="SourceIP", name=r["source_ip"],
                      platform=_platform(str(r["subject"])),
                      evidence=(Evidence(f"audit event {r['first_id']}", f"{r['first']} .. {r['last']}",
                                         f"{r['count']} requests from {r['source_ip']} ({r['user_agents']})"),
                                Evidence("snapshot", "pod and node addresses",
                                         f"{a.cluster_networks}: none is {r['source_ip']}")),
                      message=f"{r['subject']}'s token was used {r['count']} times from {r['source_ip']}, outside "
                              "the cluster's pod and node addresses")


@check("AUDIT-UNUSED-RISKY-GRANT", title="Risky permissions the audit log shows unused", severity="high",
       category="Role-Based Access Control",
       remediation="Remove the grant, or replace the binding with the least-privilege role kubesec-nb "
                   "least-privilege SNAPSHOT SUBJECT suggests (it allows exactly what the subject did).",
       analyzer="audit", references=("audit2rbac", "rbac-police", "posture-cloud section 4 item 1"))
def _unused(a: AuditAnalysis) -> Iterator[Finding]:
    _assessed(a)
    df = a.unused
    df = df[df["risk"].isin(["critical", "high"]) & (df["status"] == "unused")]
    start, end = a.window
    df = df[df["via"] == df["subject"]]  # a grant through a group is reported on the group
    for keys, rows in df.groupby(["subject", "binding", "role"], sort=True):
        subject, binding, role = (str(k) for k in keys)
        worst = min(rows["risk"], key=lambda s: SEVERITY_RANK[s])
        perms = sorted({f"{v} {r}{' [' + n + ']' if n else ''} ({s})" for v, r, n, s in
                        zip(rows["verb"], rows["resource"], rows["resourceNames"], rows["scope"], strict=True)})
        platform = str(rows["platform"].iloc[0]) or _platform(subject)
        yield Finding(subject=subject, kind=binding.split("/", 1)[0], name=binding.split("/", 1)[-1],
                      severity=worst, platform=platform or None,
                      evidence=(Evidence(binding, f"{role} rules[{int(rows['rule_index'].iloc[0])}]",
                                         "; ".join(perms[:6])),
                                Evidence("audit log", "window", f"{start} .. {end}: no allowed request used them")),
                      message=f"{subject} holds {len(perms)} risky permission(s) through {binding} that it never "
                              f"used in the log ({', '.join(sorted(set(', '.join(rows['checks']).split(', '))))})")
