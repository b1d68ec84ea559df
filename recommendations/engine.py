"""The recommendation scoring: pure logic, arrays in and scores out, so that it can be tested
and benchmarked alone (STYLE.md, "Pure logic apart from the ORM").

It imports no Django, no DRF, no Celery and no app of this project, directly or through
another module: the import contracts in pyproject.toml (`make lint`) refuse any such import.
The code that reads songs, ratings and profiles from the database and hands them here lives
in this app's selectors and services.
"""
