"""The chat-client command: flags, config file and secrets into Settings, then the full-screen app."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import (
    ConfigError,
    Settings,
    default_config_path,
    default_history_path,
    default_read_markers_path,
    load_config,
    parse_url,
)

__all__ = ["build_parser", "main", "resolve_settings"]

SASL_ENV = "CHAT_PASSWORD"
SASL_ENV_OLD = "CHAT_CLIENT_SASL_PASSWORD"  # the name before --account; still read
PASSWORD_ENV = "CHAT_CLIENT_PASSWORD"

DESCRIPTION = """\
A full-screen IRC client. With no arguments it connects to 127.0.0.1:8080 with
your login name as nick (adding a suffix if it is taken) and joins #lobby.
Type /help inside for the commands and keys."""

EPILOG = f"""\
config file:
  {default_config_path()} (TOML) takes the same settings as the flags,
  which win over it:
    host = "irc.example.org"    port = 6697    tls = true    tls_insecure = false
    tls_ca = "~/my-ca.pem"    (trust this CA instead of the system store)
    nick = "ada"    username = "ada"    channels = ["#lobby", "#dev"]    realname = "Ada"
    account = "ada"    account_password = "..."    allow_plaintext_password = false
    password = "..."    (the server password)
    history_file = "~/.chat-history"    paste_confirm_lines = 3    reconnect_max = 60
    log_dir = "~/irclogs"    (one file per window per day, as with --log-dir)
    read_markers_file = "..."    (where read positions are kept; default below)

accounts:
  --account NAME logs in with SASL: SCRAM-SHA-256 when the server offers it (the
  password never travels), else PLAIN, which sends the password as it is and so
  is only used over --tls, unless --allow-plaintext-password says otherwise.
  Without SASL, NickServ IDENTIFY is used under the same rule. Inside, /login and
  /register do the same for an account (see /help).

secrets:
  Passwords never come from the command line itself. With --account, the password
  is ${SASL_ENV} if set, otherwise you are asked (nothing is echoed);
  --account-password env:NAME reads the variable NAME instead. --password (the
  server password, PASS) takes no value (a prompt) or env:NAME; ${PASSWORD_ENV} gives
  it too.

input history is kept in {default_history_path()},
and where you stopped reading each window in {default_read_markers_path()}.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chat-client", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", nargs="?", metavar="URL",
                        help="irc://host[:port]/#chan or ircs://host[:port]/#chan (TLS, port 6697 by default)")
    parser.add_argument("--host", help="server address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="server port (default 8080)")
    parser.add_argument("--nick", help="your nick (default: your login name)")
    parser.add_argument("--join", metavar="'#A,#B'", help="channels to join, comma separated (default #lobby)")
    parser.add_argument("--tls", action="store_true", default=None, help="connect with TLS")
    parser.add_argument("--tls-insecure", action="store_true", default=None,
                        help="with --tls, accept any certificate (self-signed test servers); shown in the status bar")
    parser.add_argument("--tls-ca", type=Path, metavar="FILE",
                        help="with --tls, trust the CA certificates in FILE (PEM) instead of the system store")
    parser.add_argument("--account", "--sasl-user", dest="account", metavar="NAME",
                        help=f"log in to this account with SASL (SCRAM-SHA-256, or PLAIN over TLS); "
                             f"the password from ${SASL_ENV} or a prompt")
    parser.add_argument("--account-password", "--sasl-password", dest="account_password", nargs="?", const="prompt",
                        metavar="env:NAME", help="where the account password comes from: a prompt (no value) "
                                                 "or env:NAME")
    parser.add_argument("--allow-plaintext-password", action="store_true", default=None,
                        help="let a password travel readable over a connection without TLS (SASL PLAIN, "
                             "NickServ, /register); refused otherwise")
    parser.add_argument("--password", nargs="?", const="prompt", metavar="env:NAME",
                        help="server password (PASS), from a prompt (no value) or env:NAME")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=f"config file (default {default_config_path()})")
    parser.add_argument("--history-file", type=Path, metavar="FILE", help="where input history is kept")
    parser.add_argument("--no-history", action="store_true", help="keep input history in memory only")
    parser.add_argument("--log-dir", type=Path, metavar="DIR",
                        help="write one plain-text log per window per day under DIR (irssi style)")
    return parser


def _secret(source: str | None, env_default: str, label: str,
            prompt: Callable[[str], str]) -> str | None:
    """Read a secret from env:NAME, the default env variable, or a prompt; never from argv itself."""
    if source is None:
        return os.environ.get(env_default)
    if source == "prompt":
        return prompt(f"{label}: ")
    if source.startswith("env:"):
        value = os.environ.get(source[4:])
        if value is None:
            raise ConfigError(f"{label}: environment variable {source[4:]} is not set")
        return value
    raise ConfigError(f"{label}: give no value (to be prompted) or env:NAME, not the password itself")


def resolve_settings(args: argparse.Namespace, prompt: Callable[[str], str] = getpass.getpass) -> Settings:
    """Defaults, then the config file, then the flags; secrets from the environment or a prompt."""
    values = load_config(args.config or default_config_path())
    if args.url:
        values.update(parse_url(args.url))
    for name in ("host", "port", "nick", "tls", "tls_insecure", "tls_ca", "account", "history_file", "log_dir",
                 "allow_plaintext_password"):
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    if args.join is not None:
        values["channels"] = [c.strip() for c in args.join.split(",") if c.strip()]
    if args.no_history:
        values["history_file"] = None
    secret = _secret(args.account_password, SASL_ENV, "account password", prompt)
    if secret is None and args.account_password is None:
        secret = os.environ.get(SASL_ENV_OLD)
    if secret is not None:
        values["account_password"] = secret
    elif values.get("account") and not values.get("account_password"):
        values["account_password"] = prompt(f"Password for the account {values['account']}: ")
    password = _secret(args.password, PASSWORD_ENV, "server password", prompt)
    if password is not None:
        values["password"] = password
    if values.get("tls_insecure") or values.get("tls_ca"):
        values["tls"] = True  # asking how to check the certificate means TLS
    settings = Settings(**values)
    settings.channels = [c if c[:1] in "#&" else "#" + c for c in settings.channels]
    if not 0 < settings.port < 65536:
        raise ConfigError(f"port {settings.port} is out of range")
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = resolve_settings(args)
    except ConfigError as exc:
        print(f"chat-client: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        return 1
    from .ui import ChatApp

    app = ChatApp(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(app.run_async())
    return 0


if __name__ == "__main__":
    sys.exit(main())
