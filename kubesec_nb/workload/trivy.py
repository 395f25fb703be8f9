"""Trivy JSON reports joined to the running workloads.

Accepted documents (attachment kind ``trivy``): ``trivy image --format json`` (one image:
``ArtifactName``, ``Metadata``, ``Results``), ``trivy k8s --format json --report all``
(``Resources``) and ``--report summary`` (``Findings``); each resource carries
``Namespace``, ``Kind``, ``Name``, ``Metadata`` (an object or a list) and ``Results``.

Join, per workload container, first match wins (the ``match`` column says which):

1. ``digest``: the repository digest running in the pod (``status.containerStatuses[].imageID``
   with the runtime prefix removed, or the spec's ``@sha256``) equals a digest in
   ``Metadata.RepoDigests``;
2. ``image-id``: Docker's local image id (``docker://sha256:...``) equals ``Metadata.ImageID``;
3. ``tag``: the normalised spec reference equals a ``Metadata.RepoTags`` entry, the
   ``ArtifactName`` or the image part of a result ``Target``;
4. ``workload``: a ``trivy k8s`` resource with the same namespace, kind and name as the
   workload and the same repository.

Vulnerabilities are de-duplicated per image by (id, package, installed version, path) and
counted by ``Severity``. ``Match``/``Code``/``Lines`` fields never reach the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesec_nb.workload.images import ImageUse, parse_image

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


@dataclass
class ScannedImage:
    """One image as a report describes it, with its de-duplicated vulnerabilities."""

    names: set[str] = field(default_factory=set)  # normalised registry/repository:tag references
    repos: set[str] = field(default_factory=set)  # normalised registry/repository
    digests: set[str] = field(default_factory=set)
    image_ids: set[str] = field(default_factory=set)
    workloads: set[tuple[str, str, str]] = field(default_factory=set)  # (namespace, kind, name)
    vulns: dict[tuple[str, str, str, str], tuple[str, bool]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Vulnerabilities per severity, plus ``total`` and ``fixable``."""
        out = dict.fromkeys(SEVERITIES, 0)
        fixable = 0
        for sev, fixed in self.vulns.values():
            out[sev if sev in out else "UNKNOWN"] += 1
            fixable += fixed
        return {**{k.lower(): v for k, v in out.items()}, "total": len(self.vulns), "fixable": fixable}


def _norm(ref: str) -> tuple[str, str]:
    """``(registry/repository:tag, registry/repository)`` of a reference."""
    r = parse_image(ref)
    return f"{r.name}:{r.tag or 'latest'}", r.name


def _metadata(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    md = obj.get("Metadata")
    if isinstance(md, list):
        return [m for m in md if isinstance(m, dict)]
    return [md] if isinstance(md, dict) else []


def _add_results(img: ScannedImage, results: Iterable[Any]) -> None:
    for res in results or ():
        if not isinstance(res, dict):
            continue
        for v in res.get("Vulnerabilities") or ():
            if not isinstance(v, dict):
                continue
            key = (str(v.get("VulnerabilityID", "")), str(v.get("PkgName", "")), str(v.get("InstalledVersion", "")),
                   str(v.get("PkgPath", "")))
            img.vulns[key] = (str(v.get("Severity", "UNKNOWN")).upper(), bool(v.get("FixedVersion")))


def _target_image(target: str) -> str | None:
    # OS-package targets read "registry/repo:tag (debian 12.1)"; file targets are paths.
    head = target.split(" (", 1)[0].strip()
    return head if head and not head.startswith("/") and " " not in head else None


def parse_report(doc: Any) -> list[ScannedImage]:
    """The images of one Trivy JSON document (see the module docstring), vulnerabilities attached.

    >>> imgs = parse_report({"SchemaVersion": 2, "ArtifactName": "nginx:1.25",
    ...     "Metadata": {"RepoDigests": ["nginx@sha256:" + "d" * 64]},
    ...     "Results": [{"Target": "nginx:1.25 (debian 12.1)", "Vulnerabilities": [
    ...         {"VulnerabilityID": "CVE-1", "PkgName": "openssl", "Severity": "CRITICAL", "FixedVersion": "3"}]}]})
    >>> imgs[0].counts()["critical"], sorted(imgs[0].names)
    (1, ['docker.io/library/nginx:1.25'])
    """
    out: list[ScannedImage] = []
    if not isinstance(doc, dict):
        return out
    if "ArtifactName" in doc or ("Results" in doc and "Resources" not in doc and "Findings" not in doc):
        img = ScannedImage()
        _describe(img, doc, str(doc.get("ArtifactName") or ""))
        out.append(img)
    for res in list(doc.get("Resources") or ()) + list(doc.get("Findings") or ()):
        if not isinstance(res, dict) or not any(
                isinstance(r, dict) and r.get("Vulnerabilities") for r in res.get("Results") or ()):
            continue
        img = ScannedImage()
        _describe(img, res, "")
        img.workloads.add((str(res.get("Namespace", "")), str(res.get("Kind", "")), str(res.get("Name", ""))))
        out.append(img)
    return out


def _describe(img: ScannedImage, obj: Mapping[str, Any], artifact: str) -> None:
    refs = [artifact] if artifact else []
    for md in _metadata(obj):
        refs.extend(str(t) for t in md.get("RepoTags") or ())
        for d in md.get("RepoDigests") or ():
            d = str(d)
            if "@" in d:
                repo, digest = d.split("@", 1)
                img.digests.add(digest)
                img.repos.add(_norm(repo)[1])
        if md.get("ImageID"):
            img.image_ids.add(str(md["ImageID"]))
    for res in obj.get("Results") or ():
        if isinstance(res, dict) and res.get("Class") == "os-pkgs":
            t = _target_image(str(res.get("Target", "")))
            if t:
                refs.append(t)
    for r in refs:
        if r:
            name, repo = _norm(r)
            img.names.add(name)
            img.repos.add(repo)
    _add_results(img, obj.get("Results") or ())


class TrivyIndex:
    """Lookup from image digests, ids, references and workloads to scanned images."""

    def __init__(self, documents: Iterable[Any]) -> None:
        self.images: list[ScannedImage] = [i for d in documents for i in parse_report(d)]
        self.by_digest: dict[str, ScannedImage] = {}
        self.by_id: dict[str, ScannedImage] = {}
        self.by_name: dict[str, ScannedImage] = {}
        self.by_workload: dict[tuple[str, str, str, str], ScannedImage] = {}
        for img in self.images:
            for d in img.digests:
                self.by_digest.setdefault(d, img)
            for i in img.image_ids:
                self.by_id.setdefault(i, img)
            for n in img.names:
                self.by_name.setdefault(n, img)
            for w in img.workloads:
                for repo in img.repos:
                    self.by_workload.setdefault((*w, repo), img)

    def find(self, *, digest: str, image_id: str, image: str, namespace: str,
             workload: str) -> tuple[ScannedImage | None, str]:
        """The scanned image for one running container and how it matched (see the module docstring)."""
        if digest and digest in self.by_digest:
            return self.by_digest[digest], "digest"
        if image_id and image_id in self.by_id:
            return self.by_id[image_id], "image-id"
        name, repo = _norm(image) if image else ("", "")
        if name in self.by_name:
            return self.by_name[name], "tag"
        kind, _, wname = workload.partition("/")
        hit = self.by_workload.get((namespace, kind, wname, repo))
        if hit is not None:
            return hit, "workload"
        return None, "not in report"


@dataclass(frozen=True)
class VulnerabilityCount:
    """Vulnerability counts by severity of one workload container's image, and how the report matched it
    (``digest``, ``image-id``, ``tag``, ``workload``, or ``not in report`` with counts None)."""

    namespace: str
    workload: str
    container: str
    image: str
    running_digest: str
    match: str
    critical: int | None
    high: int | None
    medium: int | None
    low: int | None
    unknown: int | None
    total: int | None
    fixable: int | None
    reports: str


#: The count columns (nullable integers in the table).
COUNTS = ("critical", "high", "medium", "low", "unknown", "total", "fixable")


def vulnerabilities(images: Iterable[ImageUse], documents: list[tuple[str, Any]]) -> list[VulnerabilityCount]:
    """Vulnerability counts per workload container from the image records and Trivy documents
    (``(source, data)`` pairs), sorted by namespace, workload, container and image."""
    index = TrivyIndex(d for _, d in documents)
    sources = ", ".join(sorted(s for s, _ in documents))
    out = []
    for r in images:
        img, how = index.find(digest=r.running_digest, image_id=r.running_image_id, image=r.image,
                              namespace=r.namespace, workload=r.workload)
        n: Mapping[str, int | None] = img.counts() if img is not None else dict.fromkeys(COUNTS, None)
        out.append(VulnerabilityCount(r.namespace, r.workload, r.container, r.image, r.running_digest, how,
                                      critical=n["critical"], high=n["high"], medium=n["medium"], low=n["low"],
                                      unknown=n["unknown"], total=n["total"], fixable=n["fixable"], reports=sources))
    return sorted(out, key=lambda v: (v.namespace, v.workload, v.container, v.image))
