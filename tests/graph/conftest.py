"""Scenario clusters for the attack graph: YAML fixtures in ``scenarios/``, overlaid by variants.

``scenario("exposed", "netpol")`` loads ``scenarios/exposed.yaml`` and then
``scenarios/exposed+netpol.yaml``: an overlay document replaces the base document of the same
kind, namespace and name, and adds the others. Attachments (``scenarios/<name>.attach-*.json``)
are attached, ``provider`` overrides the snapshot's provider guess. NetworkPolicies are enforced
(profile ``upstream``) unless a test chooses another profile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kubesec_nb.assessment import Assessment, assess
from kubesec_nb.snapshot import Snapshot

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def _key(doc: dict[str, Any]) -> tuple[str, str, str]:
    meta = doc.get("metadata") or {}
    return str(doc.get("kind")), str(meta.get("namespace", "")), str(meta.get("name"))


def scenario_snapshot(name: str, *variants: str, tmp: Path, provider: str | None = None) -> Snapshot:
    docs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for file in [SCENARIOS / f"{name}.yaml", *(SCENARIOS / f"{name}+{v}.yaml" for v in variants)]:
        for doc in yaml.safe_load_all(file.read_text()):
            if doc:
                docs[_key(doc)] = doc
    out = tmp / f"{name}-{'-'.join(variants) or 'base'}.yaml"
    out.write_text(yaml.safe_dump_all(list(docs.values())))
    snap = Snapshot.from_manifests([out], server_version="1.31")
    for att in sorted(SCENARIOS.glob(f"{name}.attach-*.json")):
        snap.attach("auto", att)
    if provider:
        snap.metadata["provider"] = provider
    return snap


def scenario(name: str, *variants: str, tmp: Path, provider: str | None = None, **options: Any) -> Assessment:
    """The assessment of a scenario; NetworkPolicies are enforced with upstream semantics unless
    ``network_profile`` says otherwise (manifests name no network plugin)."""
    options.setdefault("network_profile", "upstream")
    return assess(scenario_snapshot(name, *variants, tmp=tmp, provider=provider), **options)


def edges(a: Assessment, technique: str | None = None) -> set[tuple[str, str, str]]:
    """``(source, technique, target)`` of every edge (of one technique)."""
    return {(u, t, v) for u, v, t in a.graph.edges(data="technique") if technique is None or t == technique}


def route(a: Assessment, source: str, target: str) -> list[str] | None:
    """The node ids of the cheapest path, or None."""
    found = a.paths(source, target, k=1)
    return list(found[0].nodes) if found else None
