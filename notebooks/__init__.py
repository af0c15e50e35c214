"""Makes notebooks/conftest.py importable as ``notebooks.conftest``.

pytest 9 collects every conftest.py as a doctest module (``--doctest-modules``) under
its plain module name; without this file it would clash with tests/conftest.py.
"""
