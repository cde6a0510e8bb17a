"""Loopback stand-ins for providers we cannot reach from tests, checking requests as they do."""
