"""Container images: references parsed as the container runtimes parse them, hygiene per workload.

Reference grammar (distribution/reference, as kubelet and containerd normalise it): the
first path component is a registry when it contains ``.`` or ``:`` or is ``localhost``,
otherwise the registry is ``docker.io`` and a single-component repository gets ``library/``;
``@sha256:...`` pins a digest; a tag follows the last ``:`` of the last component; no tag and
no digest means ``latest``. ``imagePullPolicy`` defaults as the API server defaults it:
``Always`` for ``latest`` (explicit or implied), ``IfNotPresent`` otherwise.

The registry allowlist (option ``registry_allowlist``) holds glob patterns: a pattern without
``/`` matches the registry host (``*.dkr.ecr.*.amazonaws.com``), one with ``/`` matches
``registry/repository`` (``ghcr.io/acme/*``). Its default, ``auto``, is the cloud provider's
own registries plus ``registry.k8s.io`` (all three clouds' when the provider is unknown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from kubesec_nb.snapshot.defaults import image_pull_policy
from kubesec_nb.workload._common import PodRef, collapse, containers

#: Registries each provider runs for its customers and its own add-ons.
PROVIDER_REGISTRIES: dict[str, tuple[str, ...]] = {
    "eks": ("*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn", "public.ecr.aws"),
    "gke": ("gcr.io", "*.gcr.io", "*-docker.pkg.dev", "gke.gcr.io"),
    "aks": ("*.azurecr.io", "mcr.microsoft.com"),
}
COMMON_REGISTRIES = ("registry.k8s.io",)


def default_allowlist(provider: str) -> tuple[str, ...]:
    """The ``auto`` allowlist for a provider.

    >>> default_allowlist("aks")
    ('*.azurecr.io', 'mcr.microsoft.com', 'registry.k8s.io')
    """
    pats = PROVIDER_REGISTRIES.get(provider) or tuple(p for v in PROVIDER_REGISTRIES.values() for p in v)
    return (*pats, *COMMON_REGISTRIES)


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference."""

    raw: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """``registry/repository``."""
        return f"{self.registry}/{self.repository}"

    @property
    def latest(self) -> bool:
        """True for an explicit or implied ``latest`` tag without a digest."""
        return self.digest is None and self.tag in (None, "latest")

    @property
    def default_pull_policy(self) -> str:
        """What the API server defaults ``imagePullPolicy`` to for this reference."""
        return image_pull_policy(self.raw)


def parse_image(raw: str) -> ImageRef:
    """Parse an image reference.

    >>> parse_image("nginx")
    ImageRef(raw='nginx', registry='docker.io', repository='library/nginx', tag=None, digest=None)
    >>> r = parse_image("localhost:5000/team/app:1.2@sha256:" + "a" * 64)
    >>> r.registry, r.repository, r.tag, r.digest[:9]
    ('localhost:5000', 'team/app', '1.2', 'sha256:aa')
    """
    ref = raw.strip()
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    parts = ref.split("/", 1)
    if len(parts) == 2 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, repo = parts[0], parts[1]
    else:
        registry, repo = "docker.io", ref
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
    if registry == "docker.io" and "/" not in repo:
        repo = f"library/{repo}"
    return ImageRef(raw, registry.lower(), repo, tag, digest)


def allowed_registry(ref: ImageRef, patterns: Sequence[str]) -> bool:
    """True when ``ref`` matches an allowlist pattern (see the module docstring).

    >>> allowed_registry(parse_image("123.dkr.ecr.eu-west-1.amazonaws.com/shop:1"), ["*.dkr.ecr.*.amazonaws.com"])
    True
    >>> allowed_registry(parse_image("ghcr.io/evil/app:1"), ["ghcr.io/acme/*"])
    False
    """
    for pat in patterns:
        if "/" in pat:
            if fnmatchcase(ref.name, pat):
                return True
        elif fnmatchcase(ref.registry, pat):
            return True
    return False


_RUNTIME_PREFIXES = ("docker-pullable://", "docker://", "containerd://", "cri-o://")


def running_image_id(image_id: str) -> tuple[str | None, str | None]:
    """``(repo digest, image id)`` from ``status.containerStatuses[].imageID``.

    Docker prints ``docker-pullable://repo@sha256:...`` (a repository digest) or
    ``docker://sha256:...`` (the local image id); containerd and CRI-O print ``repo@sha256:...``.

    >>> running_image_id("docker-pullable://nginx@sha256:" + "b" * 64)[0][:9]
    'sha256:bb'
    >>> running_image_id("docker://sha256:" + "c" * 64)[1][:9]
    'sha256:cc'
    """
    v = image_id.strip()
    for p in _RUNTIME_PREFIXES:
        if v.startswith(p):
            v = v[len(p):]
    if "@" in v:
        return v.split("@", 1)[1], None
    if v.startswith("sha256:"):
        return None, v
    return None, None


def _statuses(pod: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    status = pod.get("status") or {}
    out: dict[str, Mapping[str, Any]] = {}
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for s in status.get(key) or ():
            if isinstance(s, dict) and s.get("name"):
                out[str(s["name"])] = s
    return out


@dataclass(frozen=True)
class ImageUse:
    """A workload container's image: the reference and its parts, the digest actually running (from pod
    status; ``running_image_id`` is Docker's local id), the effective pull policy (``pull_policy_set``: written
    in the spec) and whether the registry is allowed; ``field`` is the path of the image in the pod spec."""

    namespace: str
    workload: str
    container: str
    image: str
    registry: str
    repository: str
    tag: str
    digest: str
    running_digest: str
    running_image_id: str
    pull_policy: str
    pull_policy_set: bool
    allowed_registry: bool
    field: str
    pods: int = 0
    example_pod: str = ""

    @property
    def latest(self) -> bool:
        """Tagged latest, explicitly or implied (no tag), and no digest (as :attr:`ImageRef.latest`)."""
        return not self.digest and self.tag in ("", "latest")


def images(pods: Sequence[PodRef], allowlist: Sequence[str]) -> list[ImageUse]:
    """One record per workload container (see :class:`ImageUse`)."""
    cache: dict[str, tuple[ImageRef, bool]] = {}  # replicas share references: parse and match each once
    items: list[tuple[ImageUse, str]] = []
    for ref in pods:
        statuses = _statuses(ref.pod)
        for path, c in containers(ref.pod.get("spec") or {}):
            raw = str(c.get("image") or "")
            hit = cache.get(raw)
            if hit is None:
                parsed = parse_image(raw)
                hit = cache[raw] = (parsed, allowed_registry(parsed, allowlist))
            img, allowed = hit
            st = statuses.get(str(c.get("name", ""))) or {}
            running, local_id = running_image_id(str(st.get("imageID") or ""))
            policy = c.get("imagePullPolicy")
            items.append((ImageUse(ref.namespace, ref.owner, str(c.get("name", "")), raw, img.registry,
                                   img.repository, img.tag or "", img.digest or "", running or img.digest or "",
                                   local_id or "", str(policy or img.default_pull_policy), policy is not None,
                                   allowed, f"{path}.image"), ref.key))
    return collapse(items, lambda r: (r.namespace, r.workload, r.container, r.image, r.running_digest))
