"""Accounts: users and roles, login sessions, API keys, OIDC (no HTTP here)."""
