"""dbt's `exceptions` namespace (for sqlfluff only): errors are not raised while linting."""


def raise_compiler_error(message):
    return ""


def warn(message):
    return ""
