"""The scale test group (marker `scale`): the several-process stack over real HTTP; see conftest.py."""
