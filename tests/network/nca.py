"""Run network-config-analyzer (NCA) through its CLI and read its pairwise connectivity.

NCA pins networkx and PyYAML versions that conflict with ours, so it lives in its own
virtualenv (``.venv-nca`` at the repository root, ``make nca-venv``). NCA models ipBlocks
as cluster-external only, so compare it with the ``ipblock-external`` profile.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
NCA = ROOT / ".venv-nca" / "bin" / "nca"
_LINE = re.compile(r"^(\S+) => (\S+) : (.*)$")
_CONN = re.compile(r"\{protocols:([A-Z, ]+?)(?:,dst_ports:([0-9,\-]+))?\}")

#: (protocol, first port, last port); "all" connections are (proto, 1, 65535) for every protocol.
Conn = set[tuple[str, int, int]]
ALL: Conn = {(p, 1, 65535) for p in ("TCP", "UDP", "SCTP")}


def available() -> bool:
    return NCA.exists()


def write_inputs(folder: Path, objects: Iterable[dict[str, Any]]) -> tuple[Path, Path, Path]:
    objs = list(objects)
    ns = folder / "namespaces.json"
    pods = folder / "pods.json"
    pols = folder / "policies.yaml"
    ns.write_text(json.dumps({"apiVersion": "v1", "kind": "NamespaceList",
                              "items": [o for o in objs if o["kind"] == "Namespace"]}))
    pods.write_text(json.dumps({"apiVersion": "v1", "kind": "PodList",
                                "items": [o for o in objs if o["kind"] == "Pod"]}))
    docs = [o for o in objs if o["kind"] == "NetworkPolicy"]
    pols.write_text(yaml.safe_dump_all(docs) if docs else "")
    return ns, pods, pols


def run(folder: Path, objects: Iterable[dict[str, Any]], timeout: float = 600) -> str:
    ns, pods, pols = write_inputs(folder, objects)
    out = folder / "nca.txt"
    proc = subprocess.run([str(NCA), "--connectivity", str(pols), "-n", str(ns), "-p", str(pods),
                           "-o", "txt_no_fw_rules", "-f", str(out)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    if not out.exists():
        raise RuntimeError(f"nca failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return out.read_text()


def parse_conn(text: str) -> Conn:
    """NCA's connection text as ``(protocol, lo, hi)`` ranges.

    >>> sorted(parse_conn("{protocols:TCP, UDP,dst_ports:80-81,90}"))
    [('TCP', 80, 81), ('TCP', 90, 90), ('UDP', 80, 81), ('UDP', 90, 90)]
    """
    text = text.strip()
    if text == "All connections":
        return set(ALL)
    out: Conn = set()
    for protos, ports in _CONN.findall(text):
        rngs = [(1, 65535)]
        if ports:
            rngs = []
            for part in ports.split(","):
                lo, _, hi = part.partition("-")
                rngs.append((int(lo), int(hi or lo)))
        for p in (x.strip() for x in protos.split(",")):
            out.update((p, lo, hi) for lo, hi in rngs)
    return out


def parse(text: str) -> dict[tuple[str, str], Conn]:
    """``{(src, dst): ranges}``; pods are ``ns/name``, IP ranges ``a.b.c.d-e.f.g.h``."""
    out: dict[tuple[str, str], Conn] = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        src, dst = (x.removesuffix("[Pod]") for x in (m.group(1), m.group(2)))
        out.setdefault((src, dst), set()).update(parse_conn(m.group(3)))
    return out


def allows(conn: Conn | None, protocol: str, port: int) -> bool:
    return bool(conn) and any(p == protocol and lo <= port <= hi for p, lo, hi in conn or ())
