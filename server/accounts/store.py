"""AccountStore: the accounts in their own SQLite database under --data-dir, and the login throttles.

Every write is committed (and synced) before the call returns, so an account
the client was told about survives ``kill -9`` and a power cut. Names are
casefolded like nicks. The same object serves in-process (thread and pool
modes) and from the Manager (process mode): every method takes and returns
plain picklable values, and the throttles count for the whole server.
"""

from __future__ import annotations

import logging
import os
import pickle
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from server.auth.scram import ScramKeys
from server.protocol import casefold

from .credentials import Credentials
from .throttle import LoginPolicy, Throttle

__all__ = ["OPERATIONS", "Account", "AccountStore", "ChannelRegistration", "accounts_path", "open_accounts"]

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    folded TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    scram_salt BLOB NOT NULL,
    scram_iterations INTEGER NOT NULL,
    scram_stored_key BLOB NOT NULL,
    scram_server_key BLOB NOT NULL,
    email TEXT,
    registered REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_email ON accounts (email) WHERE email IS NOT NULL;
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS channels (
    folded TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    founder TEXT NOT NULL,  -- the account, as registered
    registered REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Account:
    name: str  # as registered; casefolded it is the key
    password_hash: str
    scram: ScramKeys
    email: str
    registered: float


@dataclass(frozen=True, slots=True)
class ChannelRegistration:
    name: str
    founder: str  # the founder's account, as registered
    registered: float


# What a network's nodes share; the secrets table stays each node's own.
_REPLICATED = ("accounts", "channels")

# The operations that change what nodes share: on a network they go through the stream.
OPERATIONS = ("create", "set_credentials", "drop", "register_channel", "drop_channel")


class AccountStore:
    def __init__(self, path: Path, policy: LoginPolicy | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # accounts change rarely: sync each one
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        # What every registration (NICK) and every logged-in JOIN asks, answered from memory:
        # folded account names, and folded channel -> folded founder.
        self._load_memory()
        self._throttle_lock = threading.Lock()
        self.configure(policy or LoginPolicy())

    def configure(self, policy: LoginPolicy) -> None:
        """Apply a (reloaded) policy; the counts so far are kept unless it changed."""
        with self._throttle_lock:
            if getattr(self, "policy", None) == policy:
                return
            self.policy = policy
            self._by_address = Throttle(policy.failures_per_address, policy.window)
            self._by_account = Throttle(policy.failures_per_account, policy.window)
            self._registrations = Throttle(policy.registrations, policy.register_window)

    def _load_memory(self) -> None:
        self._names = {row[0] for row in self._db.execute("SELECT folded FROM accounts")}
        self._founders = dict(self._db.execute("SELECT folded, founder FROM channels").fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- replicas (several nodes on one network, server/shared/replication.py) ----

    def export_state(self) -> bytes:
        """Every account and channel registration, for another node's store to start from."""
        with self._lock:
            tables = {table: self._db.execute(f"SELECT * FROM {table}").fetchall() for table in _REPLICATED}
        return pickle.dumps(tables)

    def import_state(self, state: bytes) -> None:
        """Hold exactly the accounts and registrations ``export_state`` saw, in one transaction."""
        tables: dict[str, list[tuple[object, ...]]] = pickle.loads(state)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for table in _REPLICATED:
                    self._db.execute(f"DELETE FROM {table}")
                    rows = tables.get(table, [])
                    if rows:
                        marks = ",".join("?" * len(rows[0]))
                        self._db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._load_memory()

    # -- accounts ------------------------------------------------------------

    def get(self, name: str) -> Account | None:
        with self._lock:
            row = self._db.execute(
                "SELECT name, password_hash, scram_salt, scram_iterations, scram_stored_key, scram_server_key, "
                "email, registered FROM accounts WHERE folded = ?", (casefold(name),)).fetchone()
        if row is None:
            return None
        keys = ScramKeys(bytes(row[2]), int(row[3]), bytes(row[4]), bytes(row[5]))
        return Account(row[0], row[1], keys, row[6] or "", float(row[7]))

    def exists(self, name: str) -> bool:
        return casefold(name) in self._names

    def create(self, name: str, credentials: Credentials, email: str, now: float) -> str:
        """Store a new account; "" when done, else why not: "ACCOUNT_EXISTS" or "EMAIL_TAKEN"."""
        keys = credentials.scram
        with self._lock:
            if self._db.execute("SELECT 1 FROM accounts WHERE folded = ?", (casefold(name),)).fetchone():
                return "ACCOUNT_EXISTS"
            if email and self._db.execute("SELECT 1 FROM accounts WHERE email = ?", (email.lower(),)).fetchone():
                return "EMAIL_TAKEN"
            self._db.execute(
                "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (casefold(name), name, credentials.password_hash, keys.salt, keys.iterations, keys.stored_key,
                 keys.server_key, email.lower() or None, now))
            self._names.add(casefold(name))
        log.info("account %s registered", name)
        return ""

    def set_credentials(self, name: str, credentials: Credentials) -> bool:
        """A new password (or today's parameters for the old one); False if the account is gone."""
        keys = credentials.scram
        with self._lock:
            cursor = self._db.execute(
                "UPDATE accounts SET password_hash = ?, scram_salt = ?, scram_iterations = ?, scram_stored_key = ?, "
                "scram_server_key = ? WHERE folded = ?",
                (credentials.password_hash, keys.salt, keys.iterations, keys.stored_key, keys.server_key,
                 casefold(name)))
            return cursor.rowcount == 1

    def drop(self, name: str) -> bool:
        """Delete an account, and the registrations of the channels it founded."""
        with self._lock:
            folded = casefold(name)
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM channels WHERE founder = ?", (folded,))
            cursor = self._db.execute("DELETE FROM accounts WHERE folded = ?", (folded,))
            self._db.execute("COMMIT")
            self._names.discard(folded)
            self._founders = {key: founder for key, founder in self._founders.items() if founder != folded}
        if cursor.rowcount:
            log.info("account %s dropped", name)
        return cursor.rowcount == 1

    def count(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT COUNT(*) FROM accounts").fetchone()
            return int(n)

    # -- channels (ChanServ) ---------------------------------------------------

    def register_channel(self, name: str, founder: str, now: float) -> bool:
        """Make ``founder`` (an account) the founder of channel ``name``; False if it is registered already."""
        with self._lock:
            cursor = self._db.execute("INSERT OR IGNORE INTO channels VALUES (?, ?, ?, ?)",
                                      (casefold(name), name, casefold(founder), now))
            if cursor.rowcount:
                self._founders[casefold(name)] = casefold(founder)
        if cursor.rowcount:
            log.info("channel %s registered by %s", name, founder)
        return cursor.rowcount == 1

    def channel(self, name: str) -> ChannelRegistration | None:
        with self._lock:
            row = self._db.execute(
                "SELECT channels.name, COALESCE(accounts.name, channels.founder), channels.registered FROM channels "
                "LEFT JOIN accounts ON accounts.folded = channels.founder WHERE channels.folded = ?",
                (casefold(name),)).fetchone()
        return ChannelRegistration(row[0], row[1], float(row[2])) if row else None

    def is_founder(self, name: str, account: str) -> bool:
        return self._founders.get(casefold(name)) == casefold(account)

    def channel_names(self) -> list[str]:
        """Every registered channel (the World keeps their settings)."""
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT name FROM channels")]

    def channels_of(self, account: str) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT name FROM channels WHERE founder = ?",
                                                       (casefold(account),))]

    def drop_channel(self, name: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM channels WHERE folded = ?", (casefold(name),))
            self._founders.pop(casefold(name), None)
        return cursor.rowcount == 1

    def secret(self) -> bytes:
        """This server's own random secret (made once, kept), e.g. for SCRAM decoys."""
        with self._lock:
            row = self._db.execute("SELECT value FROM secrets WHERE name = 'decoy'").fetchone()
            if row is not None:
                return bytes(row[0])
            value = os.urandom(32)
            self._db.execute("INSERT INTO secrets VALUES ('decoy', ?)", (value,))
            return value

    # -- throttles -----------------------------------------------------------

    def login_wait(self, account: str, host: str, now: float) -> float:
        """Seconds before ``host`` may try to log in to ``account`` again (0: now)."""
        with self._throttle_lock:
            return max(self._by_address.wait(host, now), self._by_account.wait(f"{casefold(account)} {host}", now))

    def login_failed(self, account: str, host: str, now: float) -> None:
        with self._throttle_lock:
            self._by_address.note(host, now)
            self._by_account.note(f"{casefold(account)} {host}", now)

    def login_succeeded(self, account: str, host: str) -> None:
        with self._throttle_lock:
            self._by_account.clear(f"{casefold(account)} {host}")

    def register_wait(self, host: str, now: float) -> float:
        with self._throttle_lock:
            return self._registrations.wait(host, now)

    def registered_from(self, host: str, now: float) -> None:
        with self._throttle_lock:
            self._registrations.note(host, now)


def accounts_path(data_dir: str) -> Path:
    return Path(data_dir).expanduser() / "accounts.sqlite3"


def open_accounts(data_dir: str, policy: LoginPolicy | None = None) -> AccountStore:
    path = accounts_path(data_dir)
    store = AccountStore(path, policy)
    log.info("accounts in %s (%d so far)", path, store.count())
    return store
