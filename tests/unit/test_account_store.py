"""AccountStore: durable, casefolded, unique emails; the login and registration throttles."""

from __future__ import annotations

from pathlib import Path

from server.accounts.credentials import Credentials, check_password, make_credentials
from server.accounts.store import AccountStore
from server.accounts.throttle import LoginPolicy
from server.auth.scram import derive_keys


def _credentials(tag: str) -> Credentials:
    return Credentials(f"$argon2id$fake-{tag}", derive_keys(tag, iterations=1))


def test_accounts_survive_reopening_and_fold_case(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite3")
    first = _credentials("one")
    assert store.create("Alice[]", first, "A@example.org", 1.0) == ""
    assert store.create("alice{}", _credentials("two"), "", 2.0) == "ACCOUNT_EXISTS"
    assert store.create("bob", _credentials("two"), "a@EXAMPLE.org", 2.0) == "EMAIL_TAKEN"
    assert store.create("bob", _credentials("two"), "", 2.0) == ""
    secret = store.secret()
    store.close()
    again = AccountStore(tmp_path / "a.sqlite3")
    account = again.get("ALICE{}")
    assert account is not None and account.name == "Alice[]" and account.email == "a@example.org"
    assert account.scram == first.scram and again.secret() == secret and again.exists("ALICE{}")
    assert again.set_credentials("alice[]", _credentials("three"))
    assert again.get("alice[]").password_hash == "$argon2id$fake-three"  # type: ignore[union-attr]
    assert again.drop("Bob") and not again.exists("bob") and not again.drop("bob")
    assert not again.set_credentials("bob", _credentials("x"))


def test_failed_logins_throttle_per_address_and_per_account_from_an_address(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite3", LoginPolicy(failures_per_address=4, failures_per_account=2,
                                                             window=60.0))
    for _ in range(2):
        store.login_failed("alice", "10.0.0.1", 100.0)
    assert store.login_wait("ALICE", "10.0.0.1", 101.0) > 0
    assert store.login_wait("alice", "10.0.0.2", 101.0) == 0  # the owner elsewhere is not locked out
    assert store.login_wait("bob", "10.0.0.1", 101.0) == 0
    for _ in range(2):
        store.login_failed("bob", "10.0.0.1", 100.0)
    assert store.login_wait("carol", "10.0.0.1", 101.0) > 0  # the address as a whole
    assert store.login_wait("alice", "10.0.0.1", 161.0) == 0  # the window passes


def test_registrations_throttle_per_address(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite3", LoginPolicy(registrations=2, register_window=10.0))
    store.registered_from("10.0.0.1", 0.0)
    store.registered_from("10.0.0.1", 1.0)
    assert store.register_wait("10.0.0.1", 2.0) == 8.0
    assert store.register_wait("10.0.0.2", 2.0) == 0


def test_password_jobs() -> None:
    made = make_credentials("a long password")
    assert check_password(made.password_hash, "a long password") == (True, None)
    assert check_password(made.password_hash, "wrong") == (False, None)
    assert check_password(None, "anything") == (False, None)


def test_channel_registrations_and_dropping_the_founder(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite3")
    store.create("Alice", _credentials("one"), "", 1.0)
    assert store.register_channel("#Home", "alice", 5.0)
    assert not store.register_channel("#home", "bob", 6.0)
    registration = store.channel("#HOME")
    assert registration is not None and (registration.name, registration.founder) == ("#Home", "Alice")
    assert store.is_founder("#home", "ALICE") and not store.is_founder("#home", "bob")
    store.close()
    store = AccountStore(tmp_path / "a.sqlite3")
    assert store.is_founder("#HOME", "alice") and store.channel_names() == ["#Home"]
    assert store.channels_of("Alice") == ["#Home"]
    store.drop("alice")
    assert not store.is_founder("#home", "alice")
    assert store.channel("#home") is None


def test_reloading_the_same_policy_keeps_the_counts_and_a_new_one_applies(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite3", LoginPolicy(registrations=1))
    store.registered_from("10.0.0.1", 0.0)
    store.configure(LoginPolicy(registrations=1))
    assert store.register_wait("10.0.0.1", 1.0) > 0
    store.configure(LoginPolicy(registrations=0))  # 0/0: no limit
    assert store.register_wait("10.0.0.1", 1.0) == 0


def test_a_store_takes_on_another_stores_accounts_and_registrations_whole(tmp_path: Path) -> None:
    source = AccountStore(tmp_path / "a.sqlite3")
    credentials = _credentials("ann")
    assert source.create("Ann", credentials, "ann@example.org", 1.0) == ""
    assert source.register_channel("#Ann", "Ann", 2.0)
    copy = AccountStore(tmp_path / "b.sqlite3")
    assert copy.create("stale", _credentials("stale"), "", 0.5) == ""
    copy.import_state(source.export_state())
    assert not copy.exists("stale")
    ann = copy.get("ann")
    assert ann is not None and ann.email == "ann@example.org" and ann.scram == credentials.scram
    assert copy.is_founder("#ann", "ANN") and copy.channel_names() == ["#Ann"]
    assert copy.create("ann", _credentials("again"), "", 3.0) == "ACCOUNT_EXISTS"
