"""An analyst's questions, as ``kubectl auth can-i`` and rbac-tool ask them: can-i, who-can, reach.

The CLI (``kubesec-nb can-i | who-can | reach``) and the notebooks call these. Each checks
that what the question names exists in the snapshot and raises :class:`QueryError` (a user
mistake: exit 2) when it does not, instead of answering about an object nobody has. When
the snapshot lacks the input (RBAC or NetworkPolicies not readable), the answer itself says
it is not assessed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from kubesec_nb.errors import KubesecError

if TYPE_CHECKING:
    from kubesec_nb.assessment import Assessment
    from kubesec_nb.network.semantics import Decision as NetDecision
    from kubesec_nb.rbac.authorizer import Decision

WHO_CAN_COLUMNS = ["subject", "via", "scope", "binding", "role", "rule"]


class QueryError(KubesecError):
    """A question about a subject, namespace or object the snapshot does not hold."""


def _known_namespace(a: Assessment, namespace: str | None) -> None:
    if not namespace or a.model.missing("namespaces") or namespace in a.model.namespaces:
        return
    known = sorted(a.model.namespaces)
    raise QueryError(f"no namespace {namespace!r} in the snapshot (namespaces: {', '.join(known[:12]) or 'none'}"
                     f"{', ...' if len(known) > 12 else ''})")


def subject_exists(a: Assessment, subject: str) -> bool:
    """Whether ``subject`` is named in the snapshot (a binding, a service account, a pod, a node, options).

    >>> from kubesec_nb import Snapshot, assess
    >>> subject_exists(assess(Snapshot()), "Group:system:masters")
    True
    """
    from kubesec_nb.rbac.subjects import parse_subject

    return parse_subject(subject).subject in a.rbac.principals.principals


def can_i(a: Assessment, subject: str, verb: str, resource: str, namespace: str | None = None,
          name: str | None = None) -> Decision:
    """``kubectl auth can-i VERB RESOURCE --as SUBJECT``: the decision with every rule that allows it.

    >>> from kubesec_nb import Snapshot, assess
    >>> from kubesec_nb.notebook import resolve
    >>> print(can_i(assess(Snapshot()), "Group:system:masters", "delete", "nodes"))  # doctest: +ELLIPSIS
    ALLOWED: Group:system:masters delete nodes (group core) cluster-wide
      Group:system:masters is in group system:masters: the API server allows every request ...
    >>> can_i(assess(Snapshot.load(resolve("eks-shop"))), "User:nobody", "get", "pods")
    Traceback (most recent call last):
    kubesec_nb.queries.QueryError: no subject User:nobody in the snapshot ...
    """
    rb = a.rbac
    if not rb.missing and not subject_exists(a, subject):
        raise QueryError(f"no subject {subject} in the snapshot (no binding, service account, pod or option "
                         "names it); to ask about any signed-in user, use Group:system:authenticated")
    _known_namespace(a, namespace)
    return rb.can(subject, verb, resource, namespace or None, name or None)


def who_can(a: Assessment, verb: str, resource: str, namespace: str | None = None) -> pd.DataFrame:
    """Every subject allowed to ``verb`` ``resource`` (in ``namespace``), with the binding and rule.

    >>> from kubesec_nb import Snapshot, assess
    >>> who_can(assess(Snapshot()), "list", "secrets")["subject"].tolist()
    ['Group:system:masters']
    """
    _known_namespace(a, namespace)
    df = a.rbac.who_can(verb, resource, namespace or None)
    out = df[WHO_CAN_COLUMNS].reset_index(drop=True)
    out.attrs.update(df.attrs)
    return out


def port_of(port: Any) -> int | str:
    """A port parameter as the network analysis takes it: a number, or a port name.

    >>> port_of("5432"), port_of(80), port_of("http")
    (5432, 80, 'http')
    """
    text = str(port).strip()
    if text.isdigit():
        return int(text)
    if not text:
        raise QueryError("port must be a number or a port name")
    return text


def reach(a: Assessment, src: str, dst: str, port: Any, protocol: str = "TCP") -> NetDecision:
    """Whether ``src`` may open a connection to ``dst`` on ``port``, with the deciding policies.

    Endpoints: a pod ``ns/name``, ``svc:ns/name``, ``node:name``, ``internet``, an IP or a CIDR.
    An endpoint the snapshot does not hold raises :class:`QueryError`.
    """
    if protocol.upper() not in ("TCP", "UDP", "SCTP"):
        raise QueryError(f"protocol must be TCP, UDP or SCTP, got {protocol!r}")
    try:
        return a.network.allowed(src.strip(), dst.strip(), port_of(port), protocol)
    except QueryError:
        raise
    except KubesecError as exc:
        raise QueryError(str(exc)) from exc
