"""Keep secret values out of a snapshot.

Every object passes through :func:`redact_object` before a snapshot holds it, whatever
its source (live cluster, kubectl dump, manifests, a hand-edited snapshot file):

* Secrets keep metadata, type and key names; every value becomes :data:`SECRET_VALUE`.
* Literal container ``env`` values, ``args``/``command`` flags and ConfigMap entries
  that look like credentials become ``<redacted:DETECTOR>``; the detector name stays so
  that the workload checks can report *that* a credential was there and why.
* ``kubectl.kubernetes.io/last-applied-configuration`` (a full copy of the object,
  values included) and ``managedFields`` are dropped from every object.

``kube-system/aws-auth`` is kept verbatim: it maps IAM ARNs to Kubernetes identities,
holds no credentials, and the RBAC analysis needs it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from kubesec_nb.snapshot.objects import iter_containers, pod_specs

#: What a Secret value becomes.
SECRET_VALUE = "<redacted:secret>"
REDACTED_PREFIX = "<redacted:"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# Known credential formats (detector name, pattern). Matched anywhere in the value.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx)) for name, rx in (
        ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        ("aws-access-key-id", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
        ("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
        ("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
        ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        ("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("stripe-key", r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}\b"),
        ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
        ("azure-connection-string", r"(?i)(?:AccountKey|SharedAccessKey|SharedAccessSignature)="),
        ("gcp-service-account-key", r"\"private_key\"\s*:"),
        ("url-credentials", r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:[^/\s@]+@"),
        ("password-assignment", r"(?i)\b(?:password|passwd|pwd|secret|token|api[_-]?key)\s*[=:]\s*\S{4,}"),
    )
)

# Key names that announce a credential (env var names, ConfigMap keys, CLI flags).
_SENSITIVE_NAME = re.compile(
    r"(?i)(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"credential|client[_-]?secret|auth[_-]?key|signing[_-]?key|encryption[_-]?key|conn(ection)?[_-]?str)"
)
# Names that match the pattern above but carry configuration, not a credential.
_BENIGN_NAME = re.compile(
    r"(?i)(_?(file|path|dir|ref|name|names|id|url|uri|host|port|user(name)?|enabled|ttl|timeout|"
    r"length|size|expir\w*|rotation\w*|header|type|mode|audience|issuer|namespace|key[_-]?id|version)$)"
)
# Values that are never credentials however they are named.
_BENIGN_VALUE = re.compile(
    r"(?i)^(true|false|yes|no|on|off|none|null|enabled|disabled|-?\d+(\.\d+)?[a-z]{0,2}|"
    r"/[\w./\-]*|\$\([\w]+\)|\$\{[\w]+\}|https?://[^@\s]*|[\w.\-]+\.svc(\.cluster\.local)?(:\d+)?|"
    r"sha256:[0-9a-f]{64}|arn:aws[\w\-]*:[^\s]*)$"
)
_FLAG = re.compile(r"^(--?[\w.\-]+)=(.+)$", re.S)
# One ``key = value`` / ``key: value`` / ``"key": "value"`` line of a config file held in a value.
_ASSIGNMENT = re.compile(r"""^\s*(?:export\s+)?["']?([A-Za-z_][\w.\-]*)["']?\s*[=:]\s*["']?([^\s"'#,;]+)""")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character.

    >>> entropy("aaaa") == 0.0, round(entropy("ab"), 2)
    (True, 1.0)
    """
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) + 0.0


def detect(name: str, value: str) -> str | None:
    """Why ``value`` (found under ``name``) looks like a credential, or None.

    >>> detect("AWS_KEY", "AKIAIOSFODNN7EXAMPLE")
    'aws-access-key-id'
    >>> detect("DB_PASSWORD", "hunter2hunter2")
    'key-name'
    >>> detect("DB_PASSWORD_FILE", "/run/secrets/db")
    >>> detect("LOG_LEVEL", "debug")
    >>> detect("SESSION_SEED", "q8Zr4Lk2Vb9Xw1Pn6Tc3Hy7Mj5Dg0Fs")
    'high-entropy'
    """
    if not isinstance(value, str) or not value.strip() or value.startswith(REDACTED_PREFIX):
        return None
    for detector, rx in _PATTERNS:
        if rx.search(value):
            return detector
    if _SENSITIVE_NAME.search(value) and _config_assignment(value):
        return "config-assignment"
    if _BENIGN_VALUE.match(value.strip()):
        return None
    if _SENSITIVE_NAME.search(name) and not _BENIGN_NAME.search(name) and len(value) >= 4:
        return "key-name"
    compact = value.strip()
    if len(compact) >= 20 and not any(c.isspace() for c in compact):
        hexish = all(c in "0123456789abcdefABCDEF" for c in compact)
        if (hexish and len(compact) >= 32 and entropy(compact) >= 3.0) or entropy(compact) >= 4.2:
            return "high-entropy"
    return None


def _config_assignment(value: str) -> bool:
    """True when a line of ``value`` assigns a non-trivial value to a credential-named key
    (``aws_secret_access_key = ...`` in a properties file, ``"password": "..."`` in JSON).

    >>> _config_assignment("region = eu-west-1" + chr(10) + "aws_secret_access_key = wJalrXUtnFEMI")
    True
    >>> _config_assignment("token_ttl: 3600"), _config_assignment('{"password_file": "/run/pw"}')
    (False, False)
    """
    for line in value.splitlines():
        m = _ASSIGNMENT.match(line)
        if m is None:
            continue
        key, val = m.group(1), m.group(2)
        if (_SENSITIVE_NAME.search(key) and not _BENIGN_NAME.search(key) and len(val) >= 4
                and not _BENIGN_VALUE.match(val)):
            return True
    return False


def marker(detector: str) -> str:
    """The redaction marker for a detector.

    >>> marker("jwt")
    '<redacted:jwt>'
    """
    return f"{REDACTED_PREFIX}{detector}>"


def is_redacted(value: object) -> bool:
    """True for a value kubesec-nb replaced.

    >>> is_redacted("<redacted:key-name>"), is_redacted("plain")
    (True, False)
    """
    return isinstance(value, str) and value.startswith(REDACTED_PREFIX)


def _redact_args(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    pending_flag: str | None = None
    for arg in args:
        if not isinstance(arg, str):
            out.append(arg)
            pending_flag = None
            continue
        m = _FLAG.match(arg)
        if m:
            found = detect(m.group(1).lstrip("-"), m.group(2))
            out.append(f"{m.group(1)}={marker(found)}" if found else arg)
            pending_flag = None
        elif pending_flag is not None:
            found = detect(pending_flag, arg)
            out.append(marker(found) if found else arg)
            pending_flag = None
        else:
            found = next((d for d, rx in _PATTERNS if rx.search(arg)), None)
            out.append(marker(found) if found else arg)
            pending_flag = arg.lstrip("-") if arg.startswith("-") else None
    return out


def _redact_container(c: dict[str, Any]) -> None:
    for env in c.get("env") or []:
        if isinstance(env, dict) and isinstance(env.get("value"), str):
            found = detect(str(env.get("name", "")), env["value"])
            if found:
                env["value"] = marker(found)
    for field in ("args", "command"):
        if isinstance(c.get(field), list):
            c[field] = _redact_args(c[field])


def redact_object(obj: dict[str, Any]) -> dict[str, Any]:
    """Remove secret values from one API object, in place; returns it.

    >>> s = redact_object({"kind": "Secret", "metadata": {"name": "db"}, "data": {"pw": "aHVudGVyMg=="}})
    >>> s["data"]
    {'pw': '<redacted:secret>'}
    >>> p = redact_object({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
    ...     {"name": "c", "env": [{"name": "API_TOKEN", "value": "abc123def456"}]}]}})
    >>> p["spec"]["containers"][0]["env"][0]["value"]
    '<redacted:key-name>'
    """
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        ann = meta.get("annotations")
        if isinstance(ann, dict):
            ann.pop(LAST_APPLIED, None)
    kind = obj.get("kind")
    if kind == "Secret":
        for field in ("data", "stringData"):
            if isinstance(obj.get(field), dict):
                obj[field] = dict.fromkeys(sorted(obj[field]), SECRET_VALUE)
        if "stringData" in obj:
            obj.setdefault("data", {}).update(obj.pop("stringData"))
        return obj
    if kind == "ConfigMap":
        ns, name = (meta or {}).get("namespace"), (meta or {}).get("name")
        if (ns, name) == ("kube-system", "aws-auth"):
            return obj
        data = obj.get("data")
        if isinstance(data, dict):
            for key, value in data.items():
                found = detect(str(key), value) if isinstance(value, str) else None
                if found:
                    data[key] = marker(found)
        if isinstance(obj.get("binaryData"), dict):
            obj["binaryData"] = dict.fromkeys(obj["binaryData"], marker("binary"))
        return obj
    for spec in pod_specs(obj):
        for _, _, c in iter_containers(spec):
            _redact_container(c)  # type: ignore[arg-type]
    return obj
