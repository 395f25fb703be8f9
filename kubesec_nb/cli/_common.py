"""What every subcommand module shares: the exit codes and ``--option KEY=VALUE`` parsing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubesec_nb.errors import KubesecError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_FINDINGS: "findings at or above --fail-on",
    EXIT_USAGE: "a user mistake: one line on stderr naming the file, object and field",
    EXIT_INTERNAL: "an internal error: a one-line summary and the file holding the full trace",
}


def parse_options(pairs: Sequence[str], what: str = "--option") -> dict[str, Any]:
    """``KEY=VALUE`` pairs as assessment options, each value parsed as YAML (``k8s_version`` stays a string).

    >>> parse_options(["network_enforced=true", "k8s_version=1.30"])
    {'network_enforced': True, 'k8s_version': '1.30'}
    """
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise KubesecError(f"{what} wants KEY=VALUE, got {pair!r}")
        try:
            out[key] = value if key == "k8s_version" else yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise KubesecError(f"{what} {key}: not a valid value ({str(exc).splitlines()[0]})") from exc
    return out
