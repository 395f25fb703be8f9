"""The Snapshot document, its loaders and the live collector."""

from kubesec_nb.snapshot.document import API_VERSION, Attachment, Gap, Snapshot

__all__ = ["API_VERSION", "Attachment", "Gap", "Snapshot"]
