"""The database fixture, both kinds, for the consent tests."""

from tests.registry.conftest import engine  # noqa: F401
