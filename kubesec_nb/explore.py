"""Interactive exploration in JupyterLab: pick a subject, a pod or a namespace and see what it means.

:func:`views` is the pure part (a list of titled tables and notes for one pick, testable without
a browser); :func:`explorer` wraps it in ipywidgets. Widgets are off unless asked for
(``interactive=True`` in the overview notebook), so headless runs and the report never show them.
Attack paths appear once the assessment has them (``a.paths``): :func:`paths_view` is the one
place that asks.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from kubesec_nb.display import Note

if TYPE_CHECKING:
    from kubesec_nb.assessment import Assessment

KINDS = ("subject", "pod", "namespace")


def choices(a: Assessment, kind: str) -> list[str]:
    """What can be picked for ``kind``: subjects, pods (``ns/name``) or namespaces, sorted.

    >>> from kubesec_nb import Snapshot, assess
    >>> choices(assess(Snapshot()), "subject")[:1]
    ['Group:system:masters']
    """
    if kind == "subject":
        return sorted(a.rbac.principals.principals)
    if kind == "pod":
        return sorted(a.model.pod_by_key)
    if kind == "namespace":
        return sorted(a.model.namespaces)
    raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


def paths_view(a: Assessment, node: str) -> Any:
    """Attack paths from ``node`` to cluster-admin, when the assessment computes them."""
    paths = getattr(a, "paths", None)
    if paths is None:
        return Note("Attack paths: not computed by this version of kubesec-nb.")
    return paths(node, "cluster-admin")


def _titled(title: str, value: Any) -> tuple[str, Any]:
    return title, value


def views(a: Assessment, kind: str, name: str) -> list[tuple[str, Any]]:
    """Titled tables and notes for one pick (see the module docstring)."""
    if name not in choices(a, kind):
        return [_titled("", Note(f"No {kind} {name!r} in the snapshot.", kind="warning"))]
    if kind == "subject":
        node = a.rbac.principal(name).identity.node_id
        perms = a.rbac.permissions
        return [_titled("Effective permissions", perms[perms["subject"] == name].reset_index(drop=True)),
                _titled("What it reaches (escalation)", a.rbac.reach(name).drop(columns="steps")),
                _titled("Attack paths", paths_view(a, node))]
    if kind == "pod":
        ns, _, pod = name.partition("/")
        sa = a.model.service_account_of(a.model.pod_by_key[name])
        net, wl = a.network, a.workloads
        subject = "ServiceAccount:" + sa.replace("/", ":", 1)
        exposure = net.exposure
        return [_titled(f"Network isolation of {name}", net.pods[net.pods["pod"] == name].reset_index(drop=True)),
                _titled("Internet exposure", exposure[exposure["pod"] == name].reset_index(drop=True)),
                _titled("Host escapes", wl.escapes[wl.escapes["pod"] == name].reset_index(drop=True)),
                _titled(f"Its service account {sa} reaches", a.rbac.reach(subject).drop(columns="steps")),
                _titled("Attack paths", paths_view(a, f"pod:{ns}/{pod}"))]
    perms = a.rbac.permissions
    table = a.network.namespace_table
    return [_titled("Pods and NetworkPolicy isolation", table[table["namespace"] == name].reset_index(drop=True)),
            _titled("Internet exposure", a.network.exposure[a.network.exposure["namespace"] == name]
                    .reset_index(drop=True)),
            _titled("Who holds permissions here", perms.loc[perms["scope"] == name, ["subject", "verb", "resource",
                                                                                      "binding", "role"]]
                    .drop_duplicates().reset_index(drop=True)),
            _titled("Pod Security", a.workloads.compliance().query("namespace == @name").reset_index(drop=True))]


def explorer(a: Assessment, enabled: bool = False) -> Any:
    """An ipywidgets explorer over ``a`` (JupyterLab), or a note saying how to turn it on."""
    if not enabled:
        return Note("Interactive exploration is off (headless runs and the report): set interactive = True "
                    "in the parameters cell and run this notebook in JupyterLab.")
    import ipywidgets as w
    from IPython.display import HTML, display

    kind = w.ToggleButtons(options=list(KINDS), description="Explore")
    pick = w.Combobox(options=choices(a, "subject"), placeholder="type to search", ensure_option=True,
                      layout=w.Layout(width="60%"))
    out = w.Output()

    def on_kind(_: Any) -> None:
        pick.value, pick.options = "", choices(a, kind.value)

    def on_pick(_: Any) -> None:
        out.clear_output()
        if not pick.value:
            return
        with out:
            for title, value in views(a, kind.value, pick.value):
                if title:
                    display(HTML(f"<h4>{html.escape(title)}</h4>"))
                display(value)

    kind.observe(on_kind, names="value")
    pick.observe(on_pick, names="value")
    return w.VBox([kind, pick, out])
