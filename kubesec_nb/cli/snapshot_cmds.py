"""``snapshot``, ``import``, ``attach`` and ``info``: make, extend and describe snapshot files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any


def _looks_like_kubectl(paths: Sequence[str]) -> bool:
    from kubesec_nb.snapshot.loaders import iter_files, looks_like_kubectl, parse_documents

    return any(looks_like_kubectl(doc) for path in iter_files(paths) for _, doc in parse_documents(path))


def attach_all(snap: Any, files: Sequence[str], kind: str = "auto") -> None:
    """Attach each file to ``snap``, saying so on stderr."""
    for f in files:
        att = snap.attach(kind, f)
        print(f"attached {att.kind} from {f}", file=sys.stderr)


def cmd_snapshot(args: argparse.Namespace) -> int:
    from kubesec_nb.snapshot import Snapshot

    kw: dict[str, Any] = {"secrets": args.secrets, "progress": args.progress, "cluster_name": args.cluster_name}
    for name in ("timeout", "retries", "page_size", "max_backoff"):
        if getattr(args, name) is not None:
            kw[name] = getattr(args, name)
    snap = Snapshot.collect(context=args.context, kubeconfig=args.kubeconfig, namespaces=args.namespace or None, **kw)
    attach_all(snap, args.attach)
    out = snap.save(args.output)
    print(f"wrote {out}: {sum(snap.counts().values())} objects, {len(snap.gaps)} gaps", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kubesec_nb.snapshot import Snapshot

    fmt = args.format
    if fmt == "auto":
        fmt = "kubectl" if _looks_like_kubectl(args.paths) else "manifests"
    if fmt == "kubectl":
        snap = Snapshot.from_kubectl(args.paths, complete=args.complete, cluster=args.cluster, strict=args.strict,
                                     lenient=args.lenient, server_version=args.server_version)
    else:
        snap = Snapshot.from_manifests(args.paths, namespace=args.namespace, bootstrap_rbac=not args.no_bootstrap_rbac,
                                       expand=not args.no_expand, cluster=args.cluster, strict=args.strict,
                                       lenient=args.lenient, server_version=args.server_version)
    attach_all(snap, args.attach)
    out = snap.save(args.output)
    skipped = snap.metadata.get("skipped") or {}
    note = f"; skipped kinds not assessed: {', '.join(f'{k} ({n})' for k, n in skipped.items())}" if skipped else ""
    defaulted = snap.metadata.get("namespaceDefaulted")
    if defaulted:
        note += (f"; {defaulted} namespaced objects named no namespace and went to {args.namespace}"
                 + (" (choose with --namespace, as kubectl apply -n)" if args.namespace == "default" else ""))
    invalid = [g for g in snap.gaps if g.reason == "invalid"]
    if invalid:
        note += f"; {len(invalid)} invalid objects skipped (--lenient), recorded as gaps:"
    print(f"wrote {out} from {fmt}: {sum(snap.counts().values())} objects{note}", file=sys.stderr)
    for g in invalid[:20]:
        print(f"  {g.message}", file=sys.stderr)
    if len(invalid) > 20:
        print(f"  ... and {len(invalid) - 20} more ('kubesec-nb info {out}' lists them)", file=sys.stderr)
    return 0


def attach_audit_log(snap: Any, files: Sequence[str]) -> None:
    """Summarise audit-log files into ``snap``, saying what was read (and what could not be) on stderr."""
    att = snap.attach("audit-log", files)
    counts = att.data["counts"]
    print(f"attached audit-log from {att.source}: {counts['requests']} requests, {counts['malformed']} unreadable "
          f"lines, {counts['ignored']} other records", file=sys.stderr)
    for m in att.data["malformed"][:5]:
        print(f"  unreadable: {m['file']}:{m['line']}: {m['error']}", file=sys.stderr)


def cmd_attach(args: argparse.Namespace) -> int:
    from kubesec_nb.errors import KubesecError
    from kubesec_nb.snapshot import Snapshot

    if not args.files and not args.audit_log:
        raise KubesecError("nothing to attach: give FILE... or --audit-log FILE...")
    snap = Snapshot.load(args.snapshot)
    attach_all(snap, args.files, args.kind)
    if args.audit_log:
        attach_audit_log(snap, args.audit_log)
    snap.save(args.snapshot)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from kubesec_nb.notebook import resolve
    from kubesec_nb.snapshot import Snapshot

    snap = Snapshot.load(resolve(args.snapshot))
    if args.json:
        print(json.dumps({"metadata": snap.metadata, "counts": snap.counts(),
                          "gaps": [g.describe() for g in snap.gaps],
                          "attachments": [{"kind": a.kind, "source": a.source} for a in snap.attachments]},
                         indent=1, sort_keys=True, default=str))
    else:
        print("\n".join(snap.summary()))
    return 0


def register(sub: Any) -> None:
    """Add the snapshot subcommands to ``sub``."""
    s = sub.add_parser("snapshot", help="snapshot a live cluster to a file")
    s.add_argument("-o", "--output", required=True, help="snapshot file to write (.json or .json.gz)")
    s.add_argument("--context", help="kubeconfig context (default: current context, else in-cluster)")
    s.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    s.add_argument("-n", "--namespace", action="append", default=[], help="only these namespaces (repeatable)")
    s.add_argument("--secrets", choices=("metadata", "skip"), default="metadata",
                   help="collect Secret metadata (never values), or skip Secrets and record a gap")
    s.add_argument("--timeout", type=float, help="per-request connect and read timeout in seconds (default 30)")
    s.add_argument("--retries", type=int, help="retries of one request on 429, 5xx and timeouts (default 4)")
    s.add_argument("--max-backoff", type=float, help="longest wait between retries in seconds (default 30)")
    s.add_argument("--page-size", type=int, help="objects per list page (default 500)")
    s.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: only in a terminal)")
    s.add_argument("--cluster-name", help="cluster name to record (a pod cannot tell which cluster it runs in)")
    s.add_argument("--attach", action="append", default=[], metavar="FILE",
                   help="attach a cloud description or Trivy report (repeatable)")
    s.set_defaults(func=cmd_snapshot)

    i = sub.add_parser("import", help="kubectl dumps or YAML manifests to a snapshot file")
    i.add_argument("paths", nargs="+", help="files or folders (.json, .json.gz, .yaml, .yml)")
    i.add_argument("-o", "--output", required=True, help="snapshot file to write")
    i.add_argument("--format", choices=("auto", "kubectl", "manifests"), default="auto")
    i.add_argument("--namespace", default="default",
                   help="namespace for namespaced manifests that name none, as 'kubectl apply -n' (default: default)")
    i.add_argument("--no-bootstrap-rbac", action="store_true", help="do not add the built-in ClusterRoles")
    i.add_argument("--no-expand", action="store_true", help="do not create representative pods for controllers")
    i.add_argument("--complete", action="store_true",
                   help="kubectl dump covers every built-in resource (empty means none exist)")
    i.add_argument("--server-version", help="Kubernetes version the input targets, e.g. 1.30")
    i.add_argument("--cluster", help="cluster name to record")
    i.add_argument("--strict", action="store_true", help="fail on kinds kubesec-nb does not know")
    i.add_argument("--lenient", action="store_true",
                   help="skip objects of the wrong shape and record each as a gap (default: the first one is an error)")
    i.add_argument("--attach", action="append", default=[], metavar="FILE")
    i.set_defaults(func=cmd_import)

    a = sub.add_parser("attach", help="attach cloud descriptions, Trivy reports or audit logs to a snapshot")
    a.add_argument("snapshot")
    a.add_argument("files", nargs="*")
    a.add_argument("--kind", default="auto", help="attachment kind (default: recognise it)")
    a.add_argument("--audit-log", nargs="+", action="extend", default=[], metavar="FILE",
                   help="Kubernetes audit log files (JSON lines, EKS CloudWatch, GKE Cloud Logging, AKS kube-audit; "
                        ".gz accepted), summarised into one attachment; bodies and credentials are dropped")
    a.set_defaults(func=cmd_attach)

    n = sub.add_parser("info", help="what a snapshot holds and its gaps")
    n.add_argument("snapshot", help="snapshot file or sample name")
    n.add_argument("--json", action="store_true")
    n.set_defaults(func=cmd_info)
