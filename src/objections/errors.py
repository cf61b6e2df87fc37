"""The one error family the tool raises on bad input, and the exit codes the CLI maps them to."""

from __future__ import annotations

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_SOME_FAILED = 1  # the run finished, but some inputs could not be processed
EXIT_USAGE = 2  # bad arguments, config or assets: nothing was processed
EXIT_NOTHING_TO_DO = 3  # no input files found
EXIT_LOCKED = 4  # another run holds the store


class ObjectionsError(Exception):
    """An expected failure, reported as one line without a traceback."""

    exit_code = EXIT_USAGE


class InputError(ObjectionsError):
    """One input file is unusable; a batch reports it and carries on with the others."""

    exit_code = EXIT_SOME_FAILED

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ConfigError(ObjectionsError):
    exit_code = EXIT_USAGE


class NothingToDo(ObjectionsError):
    exit_code = EXIT_NOTHING_TO_DO


class StoreLocked(ObjectionsError):
    exit_code = EXIT_LOCKED
