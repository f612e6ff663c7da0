"""Errors a user can cause. Each carries one clear sentence meant for a person, never a traceback."""

from __future__ import annotations


class VerbatimError(Exception):
    """Base of every error whose message is shown to the user as is (one sentence)."""

    exit_code = 1


class MediaError(VerbatimError):
    """A recording cannot be opened or decoded (missing, empty, not audio, truncated, unsupported)."""


class ProjectError(VerbatimError):
    """A project file cannot be read or written (corrupt, newer schema, unwritable)."""


class ImportExportError(VerbatimError):
    """A transcript cannot be imported from or exported to a file format."""


class ModelError(VerbatimError):
    """A speech model cannot be found, loaded or asked to do a task it cannot do."""


class EditError(VerbatimError):
    """An edit does not make sense on the current document (a bad range, an unknown speaker)."""


class Cancelled(Exception):
    """Long work stopped because the user asked it to; partial results may still be kept."""
