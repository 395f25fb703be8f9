"""``AuditAnalysis``: what ``a.audit`` gives — used versus granted, least-privilege roles, incident views.

Without an ``audit-log`` attachment :attr:`AuditAnalysis.missing` says so, :attr:`status` is ``not_assessed``,
every table is empty with the reason in ``df.attrs["missing"]`` and every ``AUDIT-*`` check is not assessed.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import Any

import pandas as pd

from kubesec_nb.audit import leastpriv, views
from kubesec_nb.audit.leastpriv import Used
from kubesec_nb.audit.options import Options
from kubesec_nb.audit.usage import USED_COLUMNS, request_of, subject_of, unused_frame, usage_frame
from kubesec_nb.errors import KubesecError
from kubesec_nb.model import Model
from kubesec_nb.rbac.analysis import RbacAnalysis
from kubesec_nb.rbac.objects import RBAC_RESOURCES
from kubesec_nb.rbac.subjects import parse_subject
from kubesec_nb.snapshot.auditlog import KIND, SUMMARY_VERSION
from kubesec_nb.snapshot.document import Snapshot
from kubesec_nb.snapshot.resources import group_resource

NO_LOG = "no audit log attached; attach one with kubesec-nb attach SNAPSHOT --audit-log FILE"
TIMELINE_COLUMNS = ["first", "last", "subject", "verb", "resource", "namespace", "name", "count", "outcome", "code",
                    "pod", "impersonator", "first_id", "last_id"]
#: Distinct RBAC objects written in the log that are re-analysed for the escalations they enable.
MAX_REANALYSED = 25
_KINDS = {"roles": "Role", "clusterroles": "ClusterRole", "rolebindings": "RoleBinding",
          "clusterrolebindings": "ClusterRoleBinding"}


def _with_missing(df: pd.DataFrame, missing: str | None) -> pd.DataFrame:
    if missing:
        df.attrs["missing"] = missing
    return df


class AuditAnalysis:
    """Audit-log analysis of one model. Build with :func:`kubesec_nb.audit.analyze`.

    >>> from kubesec_nb.snapshot import Snapshot
    >>> from kubesec_nb.rbac import analyze as rbac
    >>> m = Model(Snapshot())
    >>> a = AuditAnalysis(m, rbac(m))
    >>> a.status, a.missing == NO_LOG, a.used.attrs["missing"] == NO_LOG
    ('not_assessed', True, True)
    """

    def __init__(self, model: Model, rbac: RbacAnalysis, options: Options | None = None) -> None:
        self.model = model
        self.rbac = rbac
        self.options = options or Options()

    # ---- the log ------------------------------------------------------------------------------------------
    @cached_property
    def summaries(self) -> list[dict[str, Any]]:
        """The ``audit-log`` attachments' summaries (one per attachment)."""
        out = []
        for att in self.model.snapshot.attachments:
            if att.kind != KIND:
                continue
            if not isinstance(att.data, dict) or att.data.get("version") != SUMMARY_VERSION:
                raise KubesecError(f"audit-log attachment {att.source}: summary version "
                                   f"{(att.data or {}).get('version')!r} is not {SUMMARY_VERSION}; attach the log "
                                   "again with this kubesec-nb")
            out.append(att.data)
        return out

    @property
    def missing(self) -> str | None:
        """Why there is nothing to analyse (no audit log attached), else None."""
        return None if self.summaries else NO_LOG

    @property
    def status(self) -> str:
        """``assessed`` or ``not_assessed``."""
        return "not_assessed" if self.missing else "assessed"

    @property
    def window(self) -> tuple[str, str]:
        """The time window analysed: the ``audit_window`` option, clipped to the log's first and last request."""
        first = min((s["window"]["first"] for s in self.summaries if s["window"]["first"]), default="")
        last = max((s["window"]["last"] for s in self.summaries if s["window"]["last"]), default="")
        start, end = self.options.window
        return max(start, first) if start else first, min(end, last) if end and last else (end or last)

    @cached_property
    def reads_logged(self) -> bool:
        """Whether the log holds read requests (AKS ``kube-audit-admin`` and GKE without Data Access logs do not)."""
        return any(s["coverage"]["reads"] for s in self.summaries)

    @cached_property
    def usage(self) -> pd.DataFrame:
        """Every usage row of the summaries inside the window (one per day, user, verb, object and outcome)."""
        return usage_frame(self.summaries, self.options.window)

    @cached_property
    def observed_groups(self) -> dict[str, tuple[str, ...]]:
        """Groups each subject authenticated with in the log."""
        out: dict[str, set[str]] = defaultdict(set)
        for s in self.summaries:
            for user, u in s["users"].items():
                out[subject_of(user)].update(u["groups"])
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def groups_of(self, subject: str) -> tuple[str, ...]:
        """The subject's groups: those RBAC knows (implicit, identity provider, cloud mappings) and those the log
        shows it authenticating with."""
        return tuple(dict.fromkeys([*self.rbac.groups_of(subject), *self.observed_groups.get(subject, ())]))

    # ---- used versus granted ---------------------------------------------------------------------------------
    @cached_property
    def used(self) -> pd.DataFrame:
        """What each subject did: subject, verb, resource, namespace, name, count, first, last, outcome, code,
        whether RBAC grants it today (``granted``), impersonator and the first and last audit IDs."""
        if self.missing:
            return _with_missing(pd.DataFrame(columns=USED_COLUMNS), self.missing)
        u = self.usage
        keys = ["subject", "verb", "resource_ref", "namespace", "name", "outcome", "code", "impersonator"]
        if u.empty:
            return pd.DataFrame(columns=USED_COLUMNS)
        g = u.groupby(keys, sort=True)
        df = g.agg(count=("count", "sum"), first=("first", "min"), last=("last", "max"), group=("group", "first"),
                   res=("resource", "first"), sub=("subresource", "first"), path=("path", "first")).reset_index()
        df["first_id"] = u.sort_values("first").groupby(keys)["first_id"].first().values
        df["last_id"] = u.sort_values("last").groupby(keys)["last_id"].last().values
        cache: dict[tuple[str, Any], bool] = {}

        def granted(row: Any) -> bool | None:
            if row.outcome != "allowed" or row.subject.startswith("("):
                return None
            req = request_of(row.verb, row.group, row.res, row.sub, row.namespace, row.name, row.path)
            key = (row.subject, req)
            if key not in cache:
                ident = parse_subject(row.subject)
                cache[key] = self.rbac.authorizer.authorize(ident.subject, ident.username,
                                                            self.groups_of(row.subject), req).allowed
            return cache[key]

        df["granted"] = [granted(r) for r in df.itertuples(index=False)]
        df = df.rename(columns={"resource_ref": "resource"})[USED_COLUMNS]
        return df.sort_values(["subject", "namespace", "resource", "verb", "name"], kind="stable").reset_index(
            drop=True)

    @cached_property
    def unused(self) -> pd.DataFrame:
        """Grants (rows of ``a.rbac.permissions``) that no allowed request in the window used, with their risk
        (the severity of the risky-permission catalog entries they take part in) and catalog ids, riskiest first."""
        if self.missing:
            return _with_missing(pd.DataFrame(columns=["risk", "subject"]), self.missing)
        members: dict[str, set[str]] = defaultdict(set)
        for subject in set(self.usage["subject"]):
            if subject.startswith("("):
                continue
            for g in self.groups_of(subject):
                members[g].add(subject)
        used = self.usage
        df = unused_frame(self.rbac.permissions, used, members, self.rbac.risky, self.rbac.principals.flags,
                          self.reads_logged)
        return _with_missing(df, self.rbac.missing)

    def requests_of(self, subject: str) -> list[Used]:
        """The allowed request shapes of ``subject`` in the window (a group: its members' requests)."""
        ident = parse_subject(subject)
        u = self.usage
        if ident.kind == "Group":
            who = {s for s in set(u["subject"]) if ident.name in self.groups_of(s)}
            u = u[u["subject"].isin(who)]
        else:
            u = u[u["subject"] == ident.subject]
        u = u[u["outcome"] == "allowed"]
        return sorted({Used.of(ns, verb, group, res if not sub else f"{res}/{sub}", name, path)
                       for ns, verb, group, res, sub, name, path in
                       zip(u["namespace"], u["verb"], u["group"], u["resource"], u["subresource"], u["name"],
                           u["path"], strict=True)})

    def least_privilege(self, subject: str) -> str:
        """Roles and bindings (YAML) that allow exactly the subject's logged requests; see :mod:`.leastpriv`.

        Requests that the subject's groups already allow without its own bindings are left out, denied ones
        too. The header says what was covered and which bindings to remove once this is applied.
        """
        if self.missing:
            raise KubesecError(f"least privilege for {subject}: not assessed: {self.missing}")
        ident = parse_subject(subject)
        used = self.requests_of(ident.subject)
        groups = self.groups_of(ident.subject) if ident.kind != "Group" else (ident.name,)
        already = leastpriv.allowed_without(self.rbac, ident, groups, used)
        needed = [u for u in used if not already[u]]
        objs = leastpriv.suggest(ident, needed, exec_via_get=self.rbac.exec_via_get)
        start, end = self.window
        denied = self.usage[(self.usage["subject"] == ident.subject) & (self.usage["outcome"] == "denied")]
        header = [f"Least-privilege RBAC for {ident.subject}, from the audit log {start} .. {end}",
                  f"{len(used)} allowed request shapes: {len(needed)} need these roles, "
                  f"{len(used) - len(needed)} are allowed without the subject's own bindings (its groups)",
                  f"{int(denied['count'].sum()) if not denied.empty else 0} denied requests are not granted"]
        if "system:masters" in groups:
            header.append("the subject is in system:masters: the API server allows it everything without RBAC; "
                          "remove that membership (certificate, aws-auth) for these roles to matter")
        own = leastpriv.bindings_naming(self.rbac, ident)
        if own:
            header.append("apply this, then remove the subject from: " + ", ".join(own))
        if not objs:
            header.append("nothing to grant: no logged request needs the subject's own bindings")
        return leastpriv.to_yaml(objs, header)

    def round_trip(self, subject: str, text: str | None = None) -> list[Used]:
        """Logged requests of ``subject`` that its least-privilege YAML (or ``text``) would not allow; [] when
        the cluster without the subject's bindings plus the suggestion allows them all."""
        ident = parse_subject(subject)
        groups = self.groups_of(ident.subject) if ident.kind != "Group" else (ident.name,)
        text = self.least_privilege(subject) if text is None else text
        return leastpriv.round_trip(self.rbac, ident.subject, text, self.requests_of(ident.subject), groups)

    # ---- incident views --------------------------------------------------------------------------------------
    def _records(self, kind: str) -> list[dict[str, Any]]:
        return views.records(self.summaries, kind, self.options.window)

    def timeline(self, subject: str | None = None, namespace: str | None = None, pod: str | None = None
                 ) -> pd.DataFrame:
        """What happened, in order: usage rows (per day and object, with first and last time and audit ID) for a
        subject, a namespace, or a pod (``ns/name``: requests on it and requests its service account made from it).
        """
        if self.missing:
            return _with_missing(pd.DataFrame(columns=TIMELINE_COLUMNS), self.missing)
        u = self.usage
        if subject:
            ident = parse_subject(subject)
            u = u[(u["subject"] == ident.subject) | (u["impersonator"] == ident.username)]
        if namespace:
            u = u[u["namespace"] == namespace]
        if pod:
            ns, _, name = pod.partition("/")
            on_pod = (u["resource"] == "pods") & (u["namespace"] == ns) & (u["name"] == name)
            from_pod = (u["pod"] == name) & u["user"].str.startswith(f"system:serviceaccount:{ns}:")
            u = u[on_pod | from_pod]
        df = u.rename(columns={"resource_ref": "resource_"}).drop(columns=["resource"]).rename(
            columns={"resource_": "resource"})
        return df[TIMELINE_COLUMNS].sort_values(["first", "subject", "verb", "resource", "name"], kind="stable"
                                                ).reset_index(drop=True)

    @cached_property
    def exec_sessions(self) -> pd.DataFrame:
        """Exec, attach, port-forward, ephemeral containers and kubelet exec (``nodes/proxy``) requests."""
        return _with_missing(views.exec_sessions(self._records("exec")), self.missing)

    @cached_property
    def secret_access(self) -> pd.DataFrame:
        """Secret reads and service-account tokens minted, per subject and object (``owner``: a service account
        reading a Secret its own pods use)."""
        if self.missing:
            return _with_missing(views.secret_access(pd.DataFrame(columns=["resource"]), self.model), self.missing)
        return views.secret_access(self.usage, self.model)

    @cached_property
    def privileged_pods(self) -> pd.DataFrame:
        """Pod and workload writes asking for privileged containers, host namespaces or hostPath volumes."""
        return _with_missing(views.privileged_pods(self._records("pods")), self.missing)

    @cached_property
    def anonymous(self) -> pd.DataFrame:
        """Requests by anonymous and unauthenticated callers."""
        return _with_missing(views.anonymous_requests(self._records("anonymous")), self.missing)

    @cached_property
    def forbidden_bursts(self) -> pd.DataFrame:
        """Minutes in which one subject got at least ``audit_forbidden_burst`` denied requests."""
        return _with_missing(views.forbidden_bursts(self.summaries, self.options.forbidden_burst,
                                                    self.options.window), self.missing)

    @cached_property
    def unusual_sources(self) -> pd.DataFrame:
        """Rare source IPs and user agents per subject, and ad-hoc HTTP tools."""
        return _with_missing(views.unusual_sources(self.summaries, self.options.rare_source_share,
                                                   self.options.window), self.missing)

    @cached_property
    def cluster_networks(self) -> views.ClusterAddresses:
        """Addresses inside the cluster (pod IPs, node addresses and pod CIDRs, ``audit_cluster_networks``)."""
        return views.cluster_networks(self.model, self.options.cluster_networks)

    @cached_property
    def outside_tokens(self) -> pd.DataFrame:
        """Service-account tokens used from addresses outside :attr:`cluster_networks`."""
        return _with_missing(views.outside_tokens(self.summaries, self.cluster_networks, self.options.window),
                             self.missing)

    @cached_property
    def rbac_changes(self) -> pd.DataFrame:
        """RBAC writes, each with the escalations (to cluster-admin or a namespace's admin) that the written
        object enables: those the RBAC analysis finds with the object and not without it."""
        recs = self._records("rbac")
        df = views.rbac_writes(recs)
        df["new_escalations"] = [", ".join(self._new_escalations.get(self._object_key(r), ())) for r in recs]
        return _with_missing(df, self.missing)

    @staticmethod
    def _object_key(r: dict[str, Any]) -> tuple[str, str, str]:
        return (_KINDS.get(r["resource"], r["resource"]), r["namespace"], r["name"])

    def _written(self) -> dict[tuple[str, str, str], dict[str, Any]]:
        """The last content written for each RBAC object: from the log's request body, else the snapshot's."""
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        in_snapshot = {(o.get("kind", ""), (o.get("metadata") or {}).get("namespace", ""),
                        (o.get("metadata") or {}).get("name", "")): o
                       for res in RBAC_RESOURCES for o in self.model.items(res)}
        for r in self._records("rbac"):
            key = self._object_key(r)
            if r["verb"] not in ("create", "update", "patch") or r["code"] >= 400:
                continue
            obj = r.get("object") or {}
            if "roleRef" in obj or "rules" in obj:
                body: dict[str, Any] = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": key[0],
                                        "metadata": {"name": key[2], **({"namespace": key[1]} if key[1] else {})}}
                body.update({k: obj[k] for k in ("roleRef", "subjects", "rules") if k in obj})
                out[key] = body
            elif key in in_snapshot:
                out[key] = in_snapshot[key]
        return out

    @cached_property
    def _new_escalations(self) -> dict[tuple[str, str, str], tuple[str, ...]]:
        """Per written object, the escalations it enables: rows of the escalation analysis with every written
        object in place and not without them, whose path goes through the object (its binding or role is in
        a step's evidence). The snapshot is the state with the objects (it was taken after the log) unless the
        log wrote something else, or something since deleted."""
        written = dict(sorted(self._written().items())[:MAX_REANALYSED])
        if not written or self.rbac.missing:
            return {}
        snap = self.model.snapshot

        def key_of(o: dict[str, Any]) -> tuple[str, str, str]:
            meta = o.get("metadata") or {}
            return (str(o.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", "")))

        def variant(with_written: bool) -> Snapshot:
            objects: dict[str, list[dict[str, Any]]] = {}
            for res_key, objs in snap.objects.items():
                if group_resource(res_key) in RBAC_RESOURCES:
                    objs = [o for o in objs if key_of(o) not in written]
                objects[res_key] = list(objs)
            out = Snapshot(metadata=dict(snap.metadata), objects=objects, gaps=list(snap.gaps))
            for obj in written.values() if with_written else ():
                out.add(obj)
            return out

        current = {key_of(o): o for res in RBAC_RESOURCES for o in self.model.items(res)}
        same = all(k in current and all(current[k].get(f) == o.get(f) for f in ("roleRef", "subjects", "rules"))
                   for k, o in written.items())
        after = self.rbac if same else leastpriv.reanalyse(self.rbac, variant(True))
        before = leastpriv.reanalyse(self.rbac, variant(False)).escalations
        known = set(zip(before["subject"], before["target"], strict=True))
        refs = {k: f"{k[0]}/{k[1] + '/' if k[1] else ''}{k[2]}" for k in written}
        out: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        e = after.escalations
        for subject, target, steps in zip(e["subject"], e["target"], e["steps"], strict=True):
            if (subject, target) in known:
                continue
            text = " ".join(f"{ev.object} {ev.field}" for step in steps for ev in step.evidence)
            for k, ref in refs.items():
                if ref in text:
                    out[k].append(f"{subject} → {target}")
        return {k: tuple(v) for k, v in out.items()}

    # ---- notebook views --------------------------------------------------------------------------------------
    def facts(self) -> pd.DataFrame:
        """What the log holds: files and formats, window, requests, coverage, unreadable lines."""
        if self.missing:
            return pd.DataFrame([("status", f"not assessed: {self.missing}")], columns=["fact", "value"])
        s = self.summaries
        counts = {k: sum(x["counts"][k] for x in s) for k in s[0]["counts"]}
        levels: dict[str, int] = defaultdict(int)
        for x in s:
            for k, v in x["coverage"]["levels"].items():
                levels[k] += v
        start, end = self.window
        rows = [("status", "assessed"),
                ("files", ", ".join(f"{f['file']} ({f['format']})" for x in s for f in x["sources"])),
                ("window analysed", f"{start} .. {end}"),
                ("requests (events read)", f"{counts['requests']} ({counts['events']})"),
                ("subjects", str(self.usage["subject"].nunique())),
                ("audit levels", ", ".join(f"{k} {v}" for k, v in sorted(levels.items()))),
                ("read requests logged", "yes" if self.reads_logged else
                 "no (kube-audit-admin or no Data Access logs): unused reads are unknown"),
                ("unreadable lines", str(counts["malformed"])),
                ("other records ignored", str(counts["ignored"])),
                ("duplicate events dropped (same audit ID)", str(counts["duplicates"]))]
        return pd.DataFrame(rows, columns=["fact", "value"])

    def subjects(self) -> pd.DataFrame:
        """One row per subject in the log: requests allowed and denied, first and last, and its unused grants
        (count, and how many are critical or high), busiest first."""
        if self.missing:
            return _with_missing(pd.DataFrame(columns=["subject", "requests", "allowed", "denied", "first", "last",
                                                       "unused_grants", "unused_risky"]), self.missing)
        u = self.usage
        g = u.groupby("subject", sort=True)
        df = g.agg(requests=("count", "sum"), first=("first", "min"), last=("last", "max")).reset_index()
        for outcome_, col in (("allowed", "allowed"), ("denied", "denied")):
            part = u[u["outcome"] == outcome_].groupby("subject")["count"].sum()
            df[col] = df["subject"].map(part).fillna(0).astype(int)
        unused = self.unused
        df["unused_grants"] = df["subject"].map(unused.groupby("subject").size()).fillna(0).astype(int)
        risky = unused[unused["risk"].isin(["critical", "high"])]
        df["unused_risky"] = df["subject"].map(risky.groupby("subject").size()).fillna(0).astype(int)
        cols = ["subject", "requests", "allowed", "denied", "first", "last", "unused_grants", "unused_risky"]
        return df[cols].sort_values(["requests", "subject"], ascending=[False, True], kind="stable").reset_index(
            drop=True)

    def risky_unused(self, include_platform: bool = False) -> pd.DataFrame:
        """Unused grants that are critical or high, through the subject's own bindings (group grants are listed
        under the group); platform-managed ones only with ``include_platform``."""
        df = self.unused
        if self.missing:
            return df
        df = df[df["risk"].isin(["critical", "high"]) & (df["via"] == df["subject"])]
        if not include_platform:
            df = df[df["platform"] == ""]
        cols = ["risk", "subject", "scope", "verb", "resource", "resourceNames", "binding", "role", "checks", "status"]
        return df[cols].reset_index(drop=True)

    def suggestion(self, subject: str) -> str:
        """The least-privilege YAML for ``subject`` with the round-trip result as a last comment (or why it is
        not assessed), for display."""
        if self.missing:
            return f"# least privilege for {subject}: not assessed: {self.missing}\n"
        text = self.least_privilege(subject)
        missed = self.round_trip(subject, text)
        n = len(self.requests_of(subject))
        verdict = (f"# round trip: without the bindings naming {parse_subject(subject).subject}, the cluster plus "
                   f"these roles allows all {n} logged request shapes") if not missed else (
            f"# round trip FAILED: {len(missed)} of {n} request shapes are not allowed")
        return f"{text}{verdict}\n"

    def view(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df``, or, without an audit log, one row saying why it is not assessed (never an empty table)."""
        if self.missing:
            return pd.DataFrame([("not assessed", self.missing)], columns=["status", "reason"])
        return df

    @cached_property
    def malformed(self) -> pd.DataFrame:
        """Lines that could not be read: file, line (or document item) and why (the first 100 per log)."""
        rows = [m for s in self.summaries for m in s["malformed"]]
        return _with_missing(pd.DataFrame(rows, columns=["file", "line", "error"]), self.missing)


__all__ = ["NO_LOG", "AuditAnalysis"]
