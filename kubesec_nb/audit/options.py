"""The audit analyzer's options: every threshold the incident views use is named here, with its default."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubesec_nb.errors import OptionError
from kubesec_nb.snapshot.auditlog import timestamp

OPTIONS: dict[str, str] = {
    "audit_window": "time window of the attached audit log that the audit analysis uses: 'START..END', each an "
                    "RFC 3339 time or a date (a date END means that whole day), either may be empty; requests are "
                    "summarised per day, so a window edge inside a day counts that day's requests whole when the "
                    "day's first or last request falls inside. Default: the whole log",
    "audit_forbidden_burst": "denied (403) requests from one subject within one calendar minute that make a burst "
                             "(AUDIT-FORBIDDEN-BURST). Default: 20",
    "audit_rare_source_share": "a source IP or user agent that carries at most this share of a subject's requests "
                               "is unusual, for subjects with at least 20 requests (AUDIT-UNUSUAL-SOURCE). "
                               "Default: 0.02",
    "audit_cluster_networks": "CIDRs that count as inside the cluster besides the pod and node addresses and pod "
                              "CIDRs of the snapshot (node subnets, NAT gateways) for AUDIT-SA-TOKEN-OUTSIDE. "
                              "Default: none",
}


def parse_window(text: str) -> tuple[str, str]:
    """``(start, end)`` as fixed-width UTC times ("" for an open side).

    >>> parse_window("2026-11-19..2026-11-19")
    ('2026-11-19T00:00:00.000000Z', '2026-11-19T23:59:59.999999Z')
    >>> parse_window("2026-11-19T22:00:00Z..")
    ('2026-11-19T22:00:00.000000Z', '')
    """
    if not text:
        return "", ""
    start, sep, end = text.partition("..")
    if not sep:
        raise OptionError(f"audit_window must look like 'START..END' (RFC 3339 times or dates), got {text!r}")
    out = []
    for value, day_edge in ((start.strip(), "T00:00:00Z"), (end.strip(), "T23:59:59.999999Z")):
        if not value:
            out.append("")
            continue
        ts = timestamp(value + day_edge if len(value) == 10 else value)
        if not ts:
            raise OptionError(f"audit_window: {value!r} is not an RFC 3339 time or a date")
        out.append(ts)
    return out[0], out[1]


@dataclass(frozen=True)
class Options:
    """Parsed audit options (see :data:`OPTIONS`).

    >>> Options.parse({"audit_forbidden_burst": 5}).forbidden_burst
    5
    """

    window: tuple[str, str] = ("", "")
    forbidden_burst: int = 20
    rare_source_share: float = 0.02
    cluster_networks: tuple[str, ...] = ()

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> Options:
        burst = options.get("audit_forbidden_burst", 20)
        if not isinstance(burst, int) or isinstance(burst, bool) or burst < 1:
            raise OptionError(f"audit_forbidden_burst must be a positive integer, got {burst!r}")
        share = options.get("audit_rare_source_share", 0.02)
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0 < share < 1:
            raise OptionError(f"audit_rare_source_share must be a number between 0 and 1, got {share!r}")
        nets = options.get("audit_cluster_networks") or ()
        if isinstance(nets, str):
            nets = [n for n in nets.split(",") if n.strip()]
        for n in nets:
            try:
                ipaddress.ip_network(str(n).strip(), strict=False)
            except ValueError:
                raise OptionError(f"audit_cluster_networks: {n!r} is not a CIDR") from None
        window = options.get("audit_window") or ""
        if not isinstance(window, str):
            raise OptionError(f"audit_window must be a string 'START..END', got {window!r}")
        return cls(window=parse_window(window), forbidden_burst=burst, rare_source_share=float(share),
                   cluster_networks=tuple(str(n).strip() for n in nets))
