"""Errors kubesec-nb raises for user mistakes.

Every error a user can cause (a bad file, an unknown context, an unreachable cluster)
is a :class:`KubesecError`; the CLI prints its message as one line and exits non-zero.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class KubesecError(Exception):
    """A user-facing error: the message names what is wrong and where."""


class SnapshotError(KubesecError):
    """A snapshot, manifest or dump that cannot be read, with the file, object and field.

    >>> str(SnapshotError("bad value", file="a.yaml", obj="Pod x/y", field="spec.containers"))
    'a.yaml: Pod x/y: spec.containers: bad value'
    """

    def __init__(self, message: str, *, file: str | None = None, obj: str | None = None,
                 field: str | None = None) -> None:
        if field and len(field) > 120:  # a path deep in a nested value: its two ends say enough
            field = f"{field[:60]}…{field[-40:]}"
        self.file, self.obj, self.field, self.reason = file, obj, field, message
        super().__init__(": ".join(p for p in (file, obj, field, message) if p))


class CollectError(KubesecError):
    """The live cluster could not be reached or configured."""


class OptionError(KubesecError):
    """An unknown or invalid assessment option."""
