"""dbt's cross-database macros as dbt-duckdb renders them (for sqlfluff only)."""


def type_string():
    return "varchar"


def datediff(first, second, datepart):
    return f"date_diff('{datepart}', {first}, {second})"


def concat(fields):
    return "(" + " || ".join(fields) + ")"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"
