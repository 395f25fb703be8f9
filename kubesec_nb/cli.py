"""The ``kubesec-nb`` command.

    kubesec-nb snapshot  -o cluster.json.gz [--context C] [--kubeconfig F] [-n NS]...
    kubesec-nb import    PATH... -o cluster.json.gz [--format auto|kubectl|manifests]
    kubesec-nb attach    SNAPSHOT FILE... [--kind auto]
    kubesec-nb info      SNAPSHOT
    kubesec-nb checks
    kubesec-nb report    SNAPSHOT|SAMPLE [-o DIR] [--fail-on SEVERITY]

A user mistake (unreadable file, wrong format, unknown schema version, unreachable
cluster, unknown context) prints one line on stderr and exits 2; ``report --fail-on``
exits 1 when a finding at or above that severity fails. Tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from kubesec_nb import __version__
from kubesec_nb.errors import KubesecError

EXIT_FINDINGS, EXIT_USAGE = 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + line
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _looks_like_kubectl(paths: Sequence[str]) -> bool:
    from kubesec_nb.snapshot.loaders import iter_files, parse_documents

    for path in iter_files(paths):
        for _, doc in parse_documents(path):
            if isinstance(doc, dict) and (str(doc.get("kind", "")).endswith("List") or
                                          (doc.get("metadata") or {}).get("uid") or "status" in doc):
                return True
    return False


def _attach_all(snap: Any, files: Sequence[str], kind: str = "auto") -> None:
    for f in files:
        att = snap.attach(kind, f)
        print(f"attached {att.kind} from {f}", file=sys.stderr)


def cmd_snapshot(args: argparse.Namespace) -> int:
    from kubesec_nb.snapshot.document import Snapshot

    kw: dict[str, Any] = {"secrets": args.secrets, "progress": args.progress, "cluster_name": args.cluster_name}
    for name in ("timeout", "retries", "page_size", "max_backoff"):
        if getattr(args, name) is not None:
            kw[name] = getattr(args, name)
    snap = Snapshot.collect(context=args.context, kubeconfig=args.kubeconfig, namespaces=args.namespace or None, **kw)
    _attach_all(snap, args.attach)
    out = snap.save(args.output)
    print(f"wrote {out}: {sum(snap.counts().values())} objects, {len(snap.gaps)} gaps", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kubesec_nb.snapshot.document import Snapshot

    fmt = args.format
    if fmt == "auto":
        fmt = "kubectl" if _looks_like_kubectl(args.paths) else "manifests"
    if fmt == "kubectl":
        snap = Snapshot.from_kubectl(args.paths, complete=args.complete, cluster=args.cluster, strict=args.strict)
    else:
        snap = Snapshot.from_manifests(args.paths, namespace=args.namespace, bootstrap_rbac=not args.no_bootstrap_rbac,
                                       expand=not args.no_expand, cluster=args.cluster, strict=args.strict,
                                       server_version=args.server_version)
    if args.server_version and fmt == "kubectl":
        snap.metadata["serverVersion"] = {"gitVersion": f"v{args.server_version.lstrip('v')}"}
    _attach_all(snap, args.attach)
    out = snap.save(args.output)
    skipped = snap.metadata.get("skipped") or {}
    note = f"; skipped kinds not assessed: {', '.join(f'{k} ({n})' for k, n in skipped.items())}" if skipped else ""
    print(f"wrote {out} from {fmt}: {sum(snap.counts().values())} objects{note}", file=sys.stderr)
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    from kubesec_nb.snapshot.document import Snapshot

    snap = Snapshot.load(args.snapshot)
    _attach_all(snap, args.files, args.kind)
    snap.save(args.snapshot)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from kubesec_nb.notebook import resolve
    from kubesec_nb.snapshot.document import Snapshot

    snap = Snapshot.load(resolve(args.snapshot))
    if args.json:
        print(json.dumps({"metadata": snap.metadata, "counts": snap.counts(),
                          "gaps": [g.describe() for g in snap.gaps],
                          "attachments": [{"kind": a.kind, "source": a.source} for a in snap.attachments]},
                         indent=1, sort_keys=True, default=str))
    else:
        print("\n".join(snap.summary()))
    return 0


def cmd_checks(args: argparse.Namespace) -> int:
    from kubesec_nb.assessment import load_checks
    from kubesec_nb.checks import REGISTRY

    load_checks()
    for chk in sorted(REGISTRY.values(), key=lambda c: c.id):
        print(f"{chk.id:<32} {chk.severity:<9} {chk.category:<36} {chk.title}")
    return 0


def _parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise KubesecError(f"--option wants KEY=VALUE, got {pair!r}")
        out[key] = yaml.safe_load(value)
    return out


def cmd_report(args: argparse.Namespace) -> int:
    from kubesec_nb.assessment import all_options
    from kubesec_nb.checks import SEVERITY_RANK
    from kubesec_nb.notebook import resolve
    from kubesec_nb.report import run_report
    from kubesec_nb.snapshot.document import Snapshot

    path = resolve(args.snapshot)
    snap = Snapshot.load(path)  # fail fast, with a clear error, before starting kernels
    options = _parse_options(args.option)
    if args.k8s_version:
        options["k8s_version"] = args.k8s_version
    unknown = sorted(set(options) - set(all_options()))
    if unknown:
        raise KubesecError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(all_options())}")
    name = str(snap.metadata.get("cluster") or Path(path).name.split(".")[0])
    out = Path(args.output or f"reports/{name}")
    report = run_report(path, out, notebooks=args.notebook or None, options=options, timeout=args.timeout, cluster=name)
    fails = [f for f in report.findings if f["status"] == "fail"]
    print(f"wrote {report.html} ({len(fails)} failing findings; findings.json, findings.csv, findings.sarif "
          f"in {report.out_dir})", file=sys.stderr)
    if args.fail_on:
        worst = [f for f in fails if SEVERITY_RANK[f["severity"]] <= SEVERITY_RANK[args.fail_on]]
        if worst:
            print(f"{len(worst)} findings at or above {args.fail_on}", file=sys.stderr)
            return EXIT_FINDINGS
    return 0


def build_parser() -> argparse.ArgumentParser:
    from kubesec_nb.checks import SEVERITIES

    p = _Parser(prog="kubesec-nb", description="Kubernetes security assessment workbook")
    p.add_argument("--version", action="version", version=f"kubesec-nb {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

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
    i.add_argument("--namespace", default="default", help="namespace for manifests that name none")
    i.add_argument("--no-bootstrap-rbac", action="store_true", help="do not add the built-in ClusterRoles")
    i.add_argument("--no-expand", action="store_true", help="do not create representative pods for controllers")
    i.add_argument("--complete", action="store_true",
                   help="kubectl dump covers every built-in resource (empty means none exist)")
    i.add_argument("--server-version", help="Kubernetes version the input targets, e.g. 1.30")
    i.add_argument("--cluster", help="cluster name to record")
    i.add_argument("--strict", action="store_true", help="fail on kinds kubesec-nb does not know")
    i.add_argument("--attach", action="append", default=[], metavar="FILE")
    i.set_defaults(func=cmd_import)

    a = sub.add_parser("attach", help="attach cloud descriptions or Trivy reports to a snapshot")
    a.add_argument("snapshot")
    a.add_argument("files", nargs="+")
    a.add_argument("--kind", default="auto", help="attachment kind (default: recognise it)")
    a.set_defaults(func=cmd_attach)

    n = sub.add_parser("info", help="what a snapshot holds and its gaps")
    n.add_argument("snapshot", help="snapshot file or sample name")
    n.add_argument("--json", action="store_true")
    n.set_defaults(func=cmd_info)

    c = sub.add_parser("checks", help="list every check")
    c.set_defaults(func=cmd_checks)

    r = sub.add_parser("report", help="run the notebooks and write an HTML report and findings files")
    r.add_argument("snapshot", help="snapshot file or sample name")
    r.add_argument("-o", "--output", help="output folder (default: reports/<cluster>)")
    r.add_argument("--notebook", action="append", default=[], help="run only these notebooks (repeatable)")
    r.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 when a finding at or above this severity fails")
    r.add_argument("--k8s-version", help="Kubernetes minor version whose semantics apply, e.g. 1.30")
    r.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="assessment option (see kubesec_nb.all_options()); value parsed as YAML")
    r.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds")
    r.set_defaults(func=cmd_report)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KubesecError as exc:
        print(f"kubesec-nb: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # an output path that cannot be written, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"kubesec-nb: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kubesec-nb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
