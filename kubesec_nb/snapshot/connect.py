"""Which cluster to talk to: kubeconfig contexts and in-cluster service accounts.

Used by :mod:`kubesec_nb.snapshot.collector`. The kubeconfig is chosen as kubectl
chooses it (an explicit path, else every file of ``$KUBECONFIG``, else
``~/.kube/config``); its YAML is checked here first, so that an unreadable file, an
empty one or an unknown context is one clear :class:`~kubesec_nb.errors.CollectError`
instead of a traceback from deep inside the client. The client itself is built by
``kubernetes.config.new_client_from_config`` (an independent ``ApiClient``; exec
credential plugins such as ``gke-gcloud-auth-plugin``, ``aws eks get-token`` and
``kubelogin`` run as the client runs them), with ``persist_config=False`` so that the
tool never writes to a user's kubeconfig. Without a kubeconfig, inside a pod, the
service account's token and CA are used (``load_incluster_config``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kubesec_nb.errors import CollectError

IN_CLUSTER = "in-cluster"
MESSAGE_MAX = 300


def one_line(text: str) -> str:
    """Collapse whitespace and cut long messages (server messages go into one-line errors and gaps).

    >>> one_line("a\\n  b ")
    'a b'
    """
    return " ".join(text.split())[:MESSAGE_MAX]




@dataclass
class Target:
    """An API client and what the snapshot metadata records about it.

    ``owned`` clients are closed after collection (a client passed in by the caller is not);
    ``auth_notes`` holds errors the config loader logged (a failing exec plugin), quoted
    when the server then answers 401.
    """

    api: Any  # kubernetes.client.ApiClient
    context: str | None
    cluster: str | None  # the kubeconfig's cluster entry name (an ARN on EKS, gke_... on GKE)
    server: str
    owned: bool = True
    auth_notes: list[str] = field(default_factory=list)


class _ErrorCapture(logging.Handler):
    """Collects the errors the kubernetes config loader logs (exec plugin failures) instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(one_line(record.getMessage()))


def kubeconfig_paths(kubeconfig: str | os.PathLike[str] | None = None,
                     environ: Mapping[str, str] | None = None) -> list[Path]:
    """The kubeconfig files to read, as kubectl chooses them.

    An explicit path wins; otherwise every entry of ``$KUBECONFIG`` (``os.pathsep``
    separated); otherwise ``~/.kube/config``.

    >>> [str(p) for p in kubeconfig_paths(None, {"KUBECONFIG": "/a" + os.pathsep + "/b"})]
    ['/a', '/b']
    >>> [str(p) for p in kubeconfig_paths("/etc/k.yaml", {"KUBECONFIG": "/a"})]
    ['/etc/k.yaml']
    """
    env = os.environ if environ is None else environ
    if kubeconfig is not None:
        return [Path(kubeconfig).expanduser()]
    if env.get("KUBECONFIG"):
        return [Path(p).expanduser() for p in env["KUBECONFIG"].split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def _read_kubeconfigs(paths: Sequence[Path]) -> list[tuple[Path, dict[str, Any]]]:
    docs: list[tuple[Path, dict[str, Any]]] = []
    for p in paths:
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except IsADirectoryError:
            raise CollectError(f"kubeconfig {p} is a directory, not a file") from None
        except OSError as exc:
            raise CollectError(f"cannot read kubeconfig {p}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise CollectError(f"kubeconfig {p} is not UTF-8 text") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise CollectError(f"kubeconfig {p} is not valid YAML{where}") from None
        if doc is None:
            continue  # kubectl skips empty files
        if not isinstance(doc, dict) or not all(isinstance(doc.get(k), list | None)
                                                for k in ("clusters", "contexts", "users")):
            raise CollectError(f"kubeconfig {p} is not a kubeconfig (expected a mapping with clusters, "
                               "contexts and users lists)")
        docs.append((p, doc))
    return docs


def _contexts(docs: Sequence[tuple[Path, dict[str, Any]]]) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Context name → context, first file wins (kubectl's merge rule), and the current context."""
    contexts: dict[str, dict[str, Any]] = {}
    current: str | None = None
    for _, doc in docs:
        for entry in doc.get("contexts") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                contexts.setdefault(entry["name"], entry.get("context") or {})
        if current is None and doc.get("current-context"):
            current = str(doc["current-context"])
    return contexts, current


def cluster_display_name(name: str | None) -> str | None:
    """A readable cluster name from a kubeconfig cluster entry name.

    >>> cluster_display_name("arn:aws:eks:eu-west-1:111122223333:cluster/shop")
    'shop'
    >>> cluster_display_name("gke_my-project_europe-west1_prod")
    'prod'
    >>> cluster_display_name("kind-dev")
    'kind-dev'
    """
    if not name:
        return None
    if name.startswith("arn:aws") and ":cluster/" in name:
        return name.rsplit(":cluster/", 1)[1]
    if name.startswith("gke_") and name.count("_") >= 3:
        return name.split("_", 3)[3]
    return name


def _new_configuration() -> Any:
    from kubernetes import client as k8s

    cfg = k8s.Configuration()
    # Retries are ours (with backoff and Retry-After); urllib3 then raises the real error.
    cfg.retries = False
    return cfg


def connect(context: str | None = None, kubeconfig: str | os.PathLike[str] | None = None,
            environ: Mapping[str, str] | None = None) -> Target:
    """An API client for ``context`` of ``kubeconfig`` (or in-cluster), or a :class:`CollectError`.

    >>> connect(kubeconfig="/nonexistent/kubeconfig")
    Traceback (most recent call last):
    ...
    kubesec_nb.errors.CollectError: kubeconfig /nonexistent/kubeconfig does not exist
    """
    from kubernetes import config as k8s_config

    env = os.environ if environ is None else environ
    paths = kubeconfig_paths(kubeconfig, env)
    existing = [p for p in paths if p.exists()]
    if kubeconfig is not None and not existing:
        raise CollectError(f"kubeconfig {paths[0]} does not exist")
    if not existing:
        if env.get("KUBERNETES_SERVICE_HOST") and context is None:
            return connect_in_cluster(env)
        looked = ", ".join(str(p) for p in paths)
        if context is not None:
            raise CollectError(f"context {context!r} asked for, but no kubeconfig was found (looked at {looked})")
        raise CollectError(f"no kubeconfig found (looked at {looked}; set KUBECONFIG or pass a kubeconfig) "
                           "and not running inside a cluster")
    docs = _read_kubeconfigs(existing)
    where = ", ".join(str(p) for p in existing)
    if not docs:
        raise CollectError(f"kubeconfig {where} is empty")
    contexts, current = _contexts(docs)
    name = context or current
    known = ", ".join(sorted(contexts)) or "none"
    if not name:
        raise CollectError(f"kubeconfig {where} has no current context; choose one (contexts: {known})")
    if name not in contexts:
        raise CollectError(f"unknown context {name!r} in kubeconfig {where} (contexts: {known})")
    cfg = _new_configuration()
    capture = _ErrorCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        api = k8s_config.new_client_from_config(config_file=os.pathsep.join(str(p) for p, _ in docs),
                                                context=name, persist_config=False,
                                                client_configuration=cfg)  # type: ignore[no-untyped-call]
    except k8s_config.ConfigException as exc:
        raise CollectError(f"kubeconfig {where}, context {name!r}: {one_line(str(exc))}") from None
    except (KeyError, TypeError, ValueError, AttributeError, OSError) as exc:
        raise CollectError(f"kubeconfig {where}, context {name!r} is incomplete or invalid "
                           f"({type(exc).__name__}: {one_line(str(exc))})") from None
    finally:
        root.removeHandler(capture)
    cluster = contexts[name].get("cluster") if isinstance(contexts[name], dict) else None
    return Target(api=api, context=name, cluster=str(cluster) if cluster else None,
                  server=str(api.configuration.host), auth_notes=capture.messages)


def connect_in_cluster(environ: Mapping[str, str] | None = None) -> Target:
    """An API client from the pod's service account (``KUBERNETES_SERVICE_HOST``, token and CA files).

    The token file is re-read as the kubelet rotates it (the client's ``try_refresh_token``).
    """
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config
    from kubernetes.config import incluster_config

    cfg = _new_configuration()
    try:
        incluster_config.InClusterConfigLoader(  # type: ignore[no-untyped-call]
            token_filename=incluster_config.SERVICE_TOKEN_FILENAME,
            cert_filename=incluster_config.SERVICE_CERT_FILENAME,
            environ=os.environ if environ is None else environ).load_and_set(cfg)
    except k8s_config.ConfigException as exc:
        raise CollectError(f"in-cluster configuration failed: {one_line(str(exc))}") from None
    return Target(api=k8s.ApiClient(cfg), context=IN_CLUSTER, cluster=None, server=str(cfg.host))


def endpoint_provider(server: str = "", cluster: str = "") -> str:
    """``eks``, ``aks``, ``gke`` or ``unknown`` from the kubeconfig alone: endpoint host and cluster entry name.

    The fallback when :func:`kubesec_nb.snapshot.provider.guess_provider` finds nothing in
    the objects (for example when nodes could not be listed).

    >>> endpoint_provider("https://ABC.gr7.eu-west-1.eks.amazonaws.com")
    'eks'
    >>> endpoint_provider("https://10.0.0.1", "gke_proj_europe-west1_prod")
    'gke'
    >>> endpoint_provider("https://shop-dns-1a2b.hcp.westeurope.azmk8s.io:443")
    'aks'
    """
    host = server.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].lower()
    if host.endswith(".eks.amazonaws.com") or cluster.startswith("arn:aws:eks:"):
        return "eks"
    if host.endswith(".azmk8s.io"):
        return "aks"
    if cluster.startswith("gke_"):
        return "gke"
    return "unknown"


