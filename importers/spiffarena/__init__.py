"""SpiffArena process-model repositories imported as Cuebook scripts (``cuebook import
spiffarena``): see docs/importing.md."""

from importers.spiffarena.importing import ImportReport, ModelOutcome, import_repository

__all__ = ["ImportReport", "ModelOutcome", "import_repository"]
