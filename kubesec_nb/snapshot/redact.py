"""Keep secret values out of a snapshot.

Every object passes through :func:`redact_object` before a snapshot holds it, whatever
its source (live cluster, kubectl dump, manifests, a hand-edited snapshot file):

* Redaction is by position and runs before validation, so an object of an unexpected
  shape can neither keep a value nor quote one in an error message: anything under a
  Secret's ``data``, ``stringData`` or ``binaryData`` is dropped whatever its type (key
  names are kept when it is a mapping); where a value of an unexpected type sits in a
  place that holds credentials (a ConfigMap value that is a mapping, ``env`` as a
  mapping, ``args`` as a string), every scalar inside it becomes a marker and the
  shape is left for validation to refuse.
* Literal container ``env`` values, ``args``/``command`` words (shell command lines such
  as ``sh -c "mysql -p..."`` word by word, probe and lifecycle ``exec`` commands too),
  annotations and ConfigMap entries that look like credentials become
  ``<redacted:DETECTOR>``; the detector name stays so that the workload checks can
  report *that* a credential was there and why.
* Every detector runs in linear time (patterns anchored at run boundaries), so a
  megabyte-long value cannot stall a load.
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
        # Each pattern starts only where a run of its characters starts (a lookbehind), and its
        # repetitions cannot backtrack into the separators they stop at: linear time on any input.
        ("jwt", r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}+\.eyJ[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8}"),
        ("azure-connection-string", r"(?i)(?:AccountKey|SharedAccessKey|SharedAccessSignature)="),
        ("gcp-service-account-key", r"\"private_key\"\s*:"),
        ("url-credentials", r"(?<![a-zA-Z0-9+.\-])[a-zA-Z][a-zA-Z0-9+.\-]*+://[^/\s:@]++:[^/\s@]++@"),
        ("password-assignment", r"(?i)\b(?:password|passwd|pwd|secret|token|api[_-]?key)\s*[=:]\s*\S{4,}"),
    )
)


# All of them in one pass: a value matching none (almost every value) costs one scan.
_ANY_PATTERN = re.compile("|".join(f"(?i:{rx.pattern[4:]})" if rx.pattern.startswith("(?i)") else f"(?:{rx.pattern})"
                                   for _, rx in _PATTERNS))
#: No pattern matches fewer characters than this (``pwd=`` and four more).
_SHORTEST_MATCH = 8


def pattern_detector(value: str) -> str | None:
    """The known credential format found anywhere in ``value``, if any.

    >>> pattern_detector("postgres://app:hunter2@db/app"), pattern_detector("plain words")
    ('url-credentials', None)
    """
    if len(value) < _SHORTEST_MATCH or not _ANY_PATTERN.search(value):
        return None
    return next((d for d, rx in _PATTERNS if rx.search(value)), None)


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


def shannon(value: str) -> float:
    """Shannon entropy in bits per character.

    >>> shannon("aaaa") == 0.0, round(shannon("ab"), 2)
    (True, 1.0)
    """
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) + 0.0


def detect(name: str, value: str, *, entropy: bool = True) -> str | None:
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
    found = pattern_detector(value)
    if found:
        return found
    if _SENSITIVE_NAME.search(value) and _config_assignment(value):
        return "config-assignment"
    if _BENIGN_VALUE.match(value.strip()):
        return None
    if _SENSITIVE_NAME.search(name) and not _BENIGN_NAME.search(name) and len(value) >= 4:
        return "key-name"
    compact = value.strip()
    if entropy and len(compact) >= 20 and not any(c.isspace() for c in compact):
        hexish = all(c in "0123456789abcdefABCDEF" for c in compact)
        if (hexish and len(compact) >= 32 and shannon(compact) >= 3.0) or shannon(compact) >= 4.2:
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


#: Programs whose ``-p<password>`` short option takes the password attached (MySQL and MariaDB clients).
_ATTACHED_PASSWORD = frozenset({"mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck", "mysqlshow",
                                "mariadb", "mariadb-dump", "mariadb-admin"})
_WORD = re.compile(r"\S+")
_ENV_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.+)$", re.S)
#: Nesting below which :func:`scrub` replaces a whole subtree (a value of the wrong shape at that depth).
_SCRUB_DEPTH = 32


def scrub(value: Any, detector: str = "invalid", depth: int = 0) -> Any:
    """``value`` with every scalar inside replaced by a marker, mappings and lists kept as such.

    For a value of an unexpected shape where credentials live: nothing of it is kept, and
    validation can still say what shape it had.

    >>> scrub({"user": "admin", "password": ["hunter2", 42]})
    {'user': '<redacted:invalid>', 'password': ['<redacted:invalid>', '<redacted:invalid>']}
    >>> scrub(None), scrub("<redacted:secret>")
    (None, '<redacted:secret>')
    """
    if value is None or is_redacted(value):
        return value
    if depth > _SCRUB_DEPTH:
        return marker(detector)
    if isinstance(value, dict):
        return {k: scrub(v, detector, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, detector, depth + 1) for v in value]
    return marker(detector)


def _redact_words(words: list[str]) -> list[str]:
    """Command-line words with credential values replaced: ``--flag=value``, ``--flag value``, ``NAME=value``,
    an attached ``-p<password>`` after a MySQL client, and known key formats anywhere."""
    out: list[str] = []
    pending_flag: str | None = None
    program = ""  # the command being run, for options that depend on it
    for raw in words:
        word = raw.strip("'\"")
        value_of, pending_flag = pending_flag, None
        m = _FLAG.match(word)
        env = _ENV_ASSIGNMENT.match(word)
        if word in (";", "&&", "||", "|"):
            program, found = "", None
        elif m:
            found = detect(m.group(1).lstrip("-"), m.group(2))
            out.append(f"{m.group(1)}={marker(found)}" if found else raw)
            continue
        elif value_of is not None and not any(c.isspace() for c in word):
            found = detect(value_of, word)
        elif program in _ATTACHED_PASSWORD and word.startswith("-p") and len(word) > 2 and word[2] != "-":
            found = None if is_redacted(word[2:]) else "key-name"
            out.append(f"-p{marker(found)}" if found else raw)
            continue
        elif env and not any(c.isspace() for c in word):
            found = detect(env.group(1), env.group(2))
            if found:
                out.append(f"{env.group(1)}={marker(found)}")
                continue
        else:
            found = pattern_detector(word)
            if not found and any(c.isspace() for c in word):
                out.append(_redact_command_line(raw))  # one argument holding a whole command line
                continue
            if word.startswith("-"):
                pending_flag = None if found else word.lstrip("-")
            elif not program:
                program = word.rsplit("/", 1)[-1]
        out.append(marker(found) if found else raw)
    return out


def _redact_command_line(line: str) -> str:
    """A shell command line (``sh -c "mysql -p..."``) with the credential words replaced, the rest kept.

    >>> _redact_command_line("mysql -u root -pS3cretS3cret --host db")
    'mysql -u root -p<redacted:key-name> --host db'
    >>> _redact_command_line("PGPASSWORD=hunter2hunter2 psql -h db")
    'PGPASSWORD=<redacted:key-name> psql -h db'
    """
    spans = [(m.start(), m.end()) for m in _WORD.finditer(line)]
    words = [line[a:b] for a, b in spans]
    redacted = _redact_words(words)
    if redacted == words:
        return line
    pieces, last = [], 0
    for (a, b), new in zip(spans, redacted, strict=True):
        pieces += [line[last:a], new]
        last = b
    pieces.append(line[last:])
    return "".join(pieces)


def _redact_args(args: list[Any]) -> list[Any]:
    strings = [a if isinstance(a, str) else "" for a in args]
    return [word if isinstance(original, str) else scrub(original)
            for original, word in zip(args, _redact_words(strings), strict=True)]


def _redact_list(value: Any) -> Any:
    """``args``/``command``/``exec.command``: a list of words, else scrubbed."""
    return _redact_args(value) if isinstance(value, list) else scrub(value)


def _redact_container(c: dict[str, Any]) -> None:
    env = c.get("env")
    if isinstance(env, list):
        for i, item in enumerate(env):
            if not isinstance(item, dict):
                env[i] = scrub(item)
            elif isinstance(item.get("value"), str):
                found = detect(str(item.get("name", "")), item["value"])
                if found:
                    item["value"] = marker(found)
            elif item.get("value") is not None:
                item["value"] = scrub(item["value"])
    elif env is not None:
        c["env"] = scrub(env)
    for field in ("args", "command"):
        if field in c:
            c[field] = _redact_list(c[field])
    handlers = [c.get(p) for p in ("livenessProbe", "readinessProbe", "startupProbe")]
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        handlers += [lifecycle.get("postStart"), lifecycle.get("preStop")]
    for h in handlers:
        if isinstance(h, dict) and isinstance(h.get("exec"), dict) and "command" in h["exec"]:
            h["exec"]["command"] = _redact_list(h["exec"]["command"])


def _redact_string_map(parent: dict[str, Any], field: str, *, entropy: bool = True) -> None:
    """A ``map[string]string`` of ``parent`` (ConfigMap ``data``, annotations): credential-like values become
    markers, values of another type keep no scalar, and so does the field when it is not a mapping."""
    values = parent.get(field)
    if isinstance(values, dict):
        for key, value in values.items():
            if isinstance(value, str):
                found = detect(str(key), value, entropy=entropy)
                if found:
                    values[key] = marker(found)
            elif value is not None:
                values[key] = scrub(value)
    elif values is not None:
        parent[field] = scrub(values)


def _redact_annotations(meta: dict[str, Any]) -> None:
    ann = meta.get("annotations")
    if isinstance(ann, dict):
        ann.pop(LAST_APPLIED, None)
    # The same detectors as env values, but not high entropy: annotations hold checksums,
    # identities and cloud settings the analyzers read.
    _redact_string_map(meta, "annotations", entropy=False)


def _pod_spec_holders(obj: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """``(parent, key)`` of every pod spec and pod template metadata position, whatever is found there."""
    kind = obj.get("kind")
    if kind == "Pod":
        return [(obj, "spec")]
    path = ("spec", "jobTemplate", "spec", "template") if kind == "CronJob" else ("spec", "template")
    node: Any = obj
    for key in path:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            if isinstance(node, dict) and node.get(key) is not None:
                node[key] = scrub(node[key])  # a template of the wrong shape: nothing of it is kept
            return []
        node = node[key]
    return [(node, "metadata"), (node, "spec")]


def _redact_pod_spec(spec: dict[str, Any]) -> None:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        conts = spec.get(field)
        if isinstance(conts, list):
            for i, c in enumerate(conts):
                if isinstance(c, dict):
                    _redact_container(c)
                else:
                    conts[i] = scrub(c)
        elif conts is not None:
            spec[field] = scrub(conts)


def _redact_secret(obj: dict[str, Any]) -> None:
    """Key names of ``data``, ``stringData`` and ``binaryData`` (merged into ``data``); never a value."""
    keys: dict[str, str] | None = None
    for field in ("data", "stringData", "binaryData"):
        value = obj.pop(field, None)
        if isinstance(value, dict):
            keys = {**(keys or {}), **dict.fromkeys((str(k) for k in value), SECRET_VALUE)}
        elif value is not None:
            obj[field] = SECRET_VALUE  # not a mapping: nothing of it is kept; validation refuses the shape
    if keys is not None and "data" not in obj:
        obj["data"] = dict(sorted(keys.items()))


def _redact_configmap(obj: dict[str, Any]) -> None:
    _redact_string_map(obj, "data")
    binary = obj.get("binaryData")
    if isinstance(binary, dict):
        obj["binaryData"] = {k: scrub(v, "binary") if isinstance(v, dict | list) else marker("binary")
                             for k, v in binary.items()}
    elif binary is not None:
        obj["binaryData"] = scrub(binary, "binary")


def redact_object(obj: dict[str, Any]) -> dict[str, Any]:
    """Remove secret values from one API object of any shape, in place; returns it.

    >>> s = redact_object({"kind": "Secret", "metadata": {"name": "db"}, "data": {"pw": "aHVudGVyMg=="}})
    >>> s["data"]
    {'pw': '<redacted:secret>'}
    >>> redact_object({"kind": "Secret", "metadata": {"name": "db"}, "data": "aHVudGVyMg=="})["data"]
    '<redacted:secret>'
    >>> p = redact_object({"kind": "Pod", "metadata": {"name": "p", "annotations": {"db-password": "hunter2"}},
    ...     "spec": {"containers": [{"name": "c", "env": [{"name": "API_TOKEN", "value": "abc123def456"}]}]}})
    >>> p["spec"]["containers"][0]["env"][0]["value"], p["metadata"]["annotations"]
    ('<redacted:key-name>', {'db-password': '<redacted:key-name>'})
    """
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    kind = obj.get("kind")
    if kind == "Secret":
        _redact_secret(obj)
    if isinstance(meta, dict):
        _redact_annotations(meta)
    if kind == "Secret":
        return obj
    if kind == "ConfigMap":
        ns, name = (meta.get("namespace"), meta.get("name")) if isinstance(meta, dict) else (None, None)
        if (ns, name) != ("kube-system", "aws-auth"):
            _redact_configmap(obj)
        return obj
    for parent, key in _pod_spec_holders(obj):
        node = parent.get(key)
        if key == "metadata" and isinstance(node, dict):
            _redact_annotations(node)
        elif key == "spec" and isinstance(node, dict):
            _redact_pod_spec(node)
        elif node is not None:
            parent[key] = scrub(node)
    return obj
