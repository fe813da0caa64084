"""Accounts: who owns a nick, stored durably; the jobs that make and check their credentials."""

from __future__ import annotations

from .store import Account, AccountStore, open_accounts

__all__ = ["Account", "AccountStore", "open_accounts"]
