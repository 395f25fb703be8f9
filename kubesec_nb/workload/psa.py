"""Namespace Pod Security Admission labels, resolved as the admission plugin resolves them.

``pod-security.kubernetes.io/{enforce,audit,warn}`` name a level, ``...-version`` a policy
version (``latest`` or ``v1.N``). Upstream's ``PolicyToEvaluate`` falls back to the
AdmissionConfiguration defaults for an absent label; an invalid ``enforce`` level is
``restricted`` (fail closed), an invalid ``audit``/``warn`` level ``privileged`` (fail open),
and an invalid version ``latest``. The defaults and exemptions of the API server's
AdmissionConfiguration are not readable through the API, so they are options
(``psa_default_level``, ``psa_exempt_namespaces``); upstream's own default is
``privileged`` at ``latest`` with no exemptions.

>>> p = resolve("shop", {"pod-security.kubernetes.io/enforce": "baseline",
...                      "pod-security.kubernetes.io/enforce-version": "v1.25",
...                      "pod-security.kubernetes.io/warn": "strict"})
>>> p.enforce, p.enforce_version, p.warn
('baseline', (1, 25), 'privileged')
>>> p.errors
('pod-security.kubernetes.io/warn=strict: must be one of privileged, baseline, restricted',)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kubesec_nb.workload.pss import LEVELS, Version

PREFIX = "pod-security.kubernetes.io/"
MODES = ("enforce", "audit", "warn")
_VERSION = re.compile(r"^v1\.([0-9]|[1-9][0-9]*)$")


@dataclass(frozen=True)
class NamespacePolicy:
    """The Pod Security policy of one namespace: a level and a version (None = latest) per mode."""

    namespace: str
    enforce: str
    enforce_version: Version | None
    audit: str
    audit_version: Version | None
    warn: str
    warn_version: Version | None
    labelled: tuple[str, ...]
    errors: tuple[str, ...] = ()
    exempt: bool = False

    @property
    def enforces_nothing(self) -> bool:
        """True when admission lets any pod in: enforce level ``privileged``, or the namespace is exempt."""
        return self.enforce == "privileged" or self.exempt


def parse_version(text: str) -> tuple[Version | None, str | None]:
    """A version label value: ``(version or None for latest, error or None)``.

    >>> parse_version("v1.30"), parse_version("latest"), parse_version("1.30")
    (((1, 30), None), (None, None), (None, 'must be "latest" or "v1.x"'))
    """
    if text == "latest":
        return None, None
    m = _VERSION.match(text)
    if not m:
        return None, 'must be "latest" or "v1.x"'
    return (1, int(m.group(1))), None


def resolve(namespace: str, labels: Mapping[str, str], *, default_level: str = "privileged",
            exempt: bool = False) -> NamespacePolicy:
    """The effective policy of a namespace from its labels (see the module docstring)."""
    errors: list[str] = []
    levels: dict[str, str] = {}
    versions: dict[str, Version | None] = {}
    for mode in MODES:
        key = PREFIX + mode
        level = default_level
        if key in labels:
            level = labels[key]
            if level not in LEVELS:
                errors.append(f"{key}={labels[key]}: must be one of {', '.join(LEVELS)}")
                level = "restricted" if mode == "enforce" else "privileged"
        levels[mode] = level
        vkey = f"{key}-version"
        versions[mode] = None
        if vkey in labels:
            v, err = parse_version(labels[vkey])
            if err:
                errors.append(f"{vkey}={labels[vkey]}: {err}")
            versions[mode] = v
    labelled = tuple(sorted(k for k in labels if k.startswith(PREFIX)))
    return NamespacePolicy(namespace, levels["enforce"], versions["enforce"], levels["audit"], versions["audit"],
                           levels["warn"], versions["warn"], labelled, tuple(errors), exempt)


def version_label(v: Version | None) -> str:
    """``v1.30`` or ``latest``.

    >>> version_label((1, 30)), version_label(None)
    ('v1.30', 'latest')
    """
    return "latest" if v is None else f"v{v[0]}.{v[1]}"
