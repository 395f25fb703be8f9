"""The ``kubesec-nb`` command: one module per group of subcommands, each with ``register(subparsers)``.

    kubesec-nb snapshot  -o cluster.json.gz [--context C] [--kubeconfig F] [-n NS]...
    kubesec-nb import    PATH... -o cluster.json.gz [--format auto|kubectl|manifests]
    kubesec-nb attach    SNAPSHOT FILE... [--kind auto] [--audit-log FILE...]
    kubesec-nb info      SNAPSHOT
    kubesec-nb checks
    kubesec-nb report    SNAPSHOT|SAMPLE [-o DIR] [--fail-on SEVERITY] [--notebook NAME]... [--baseline OLD]
    kubesec-nb can-i     SNAPSHOT --as SUBJECT VERB RESOURCE [-n NS] [--name N] [--json]
    kubesec-nb who-can   SNAPSHOT VERB RESOURCE [-n NS] [--json]
    kubesec-nb reach     SNAPSHOT SRC DST PORT [--protocol P] [--json]
    kubesec-nb diff      OLD NEW [--json] [--fail-on SEVERITY]
    kubesec-nb notebooks DIR [--force]
    kubesec-nb paths     SNAPSHOT|SAMPLE [--from internet] [--to cluster-admin] [-k 5] [--json]
    kubesec-nb least-privilege SNAPSHOT SUBJECT [--audit-log FILE...]

Exit codes (:data:`EXIT_CODES`): 0 done; 1 findings at or above ``--fail-on``; 2 a user mistake
(one line on stderr naming the file, object and field, no traceback); 3 an internal error (a
one-line summary on stderr and the path of a file holding the full trace).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from kubesec_nb import __version__
from kubesec_nb.cli import audit_cmds, checks_cmd, paths_cmd, query_cmds, report_cmd, snapshot_cmds
from kubesec_nb.cli._common import EXIT_CODES, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from kubesec_nb.errors import KubesecError

#: Subcommand modules, in --help order; each has ``register(subparsers)`` setting ``func`` on its parsers.
COMMANDS: tuple[ModuleType, ...] = (snapshot_cmds, checks_cmd, report_cmd, query_cmds, audit_cmds, paths_cmd)


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    codes = "\n".join(f"  {code}  {what}" for code, what in EXIT_CODES.items())
    p = Parser(prog="kubesec-nb", description="Kubernetes security assessment workbook",
               epilog=f"exit codes:\n{codes}", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"kubesec-nb {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for mod in COMMANDS:
        mod.register(sub)
    return p


def _internal_error(exc: BaseException) -> int:
    """One line on stderr and the full trace in a file: never a bare traceback."""
    fd, path = tempfile.mkstemp(prefix="kubesec-nb-trace-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"kubesec-nb {__version__}\n")
        fh.write("".join(traceback.format_exception(exc)))
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {os.path.basename(where.filename)}:{where.lineno}" if where else ""
    print(f"kubesec-nb: internal error: {type(exc).__name__}: {str(exc)[:200]}{at}; full trace in {path} "
          "(please report it)", file=sys.stderr)
    return EXIT_INTERNAL


def _quiet_stdout() -> None:
    # The reader went away (``| head``): send what is left to /dev/null so that the interpreter's
    # final flush does not print "Broken pipe".
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand and return its exit code (see :data:`EXIT_CODES`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KubesecError as exc:
        print(f"kubesec-nb: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except OSError as exc:  # an output path that cannot be written, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"kubesec-nb: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kubesec-nb: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        return _internal_error(exc)


if __name__ == "__main__":
    sys.exit(main())
