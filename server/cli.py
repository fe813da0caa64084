"""The chat-server command, and its one subcommand: ``chat-server hash-password``."""

from __future__ import annotations

import getpass
import logging
import sys

from .app import run
from .config import ConfigError, load_config

__all__ = ["hash_password_command", "main"]


def hash_password_command(argv: list[str]) -> int:
    """Print the hash of a password read from stdin (or typed twice, unechoed, at a terminal)."""
    from .auth import hash_password  # only this subcommand needs argon2 loaded

    if argv and argv[0] in ("-h", "--help"):
        print("usage: chat-server hash-password < password-file\n\n"
              "Reads one password from standard input (or prompts for it twice when that is a terminal)\n"
              "and prints its argon2id hash, for the password of an [opers.NAME] block in the config file.")
        return 0
    if argv:
        print(f"chat-server hash-password: unexpected argument {argv[0]!r} (the password is read from stdin)",
              file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Again: ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 2
        if password != again:
            print("chat-server hash-password: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not password:
        print("chat-server hash-password: refusing an empty password", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "hash-password":
        return hash_password_command(args[1:])
    try:
        config = load_config(argv)
        logging.basicConfig(
            level=config.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stdout,
        )
        return run(config, argv)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
