"""``chat-server hash-password``: a password on stdin in, its argon2id hash out."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

from server.auth import check_hash, verify_password


def hash_password_cli(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", "hash-password", *args], input=stdin,
                          capture_output=True, text=True, timeout=30)


def test_prints_a_hash_of_the_password_without_its_newline() -> None:
    done = hash_password_cli("correct horse battery\n")
    assert done.returncode == 0, done.stderr
    encoded = done.stdout.strip()
    check_hash(encoded)
    assert done.stdout.count("\n") == 1
    assert "correct horse" not in done.stdout
    assert verify_password(encoded, "correct horse battery")
    assert not verify_password(encoded, "correct horse battery\n")


def test_only_the_first_line_is_the_password() -> None:
    done = hash_password_cli("first line\nsecond line\n")
    assert done.returncode == 0, done.stderr
    assert verify_password(done.stdout.strip(), "first line")


def test_refuses_an_empty_password() -> None:
    for stdin in ("", "\n"):
        done = hash_password_cli(stdin)
        assert done.returncode == 2
        assert done.stdout == ""
        assert "empty password" in done.stderr


def test_refuses_a_password_given_as_an_argument() -> None:
    done = hash_password_cli("", "hunter22")
    assert done.returncode == 2 and "stdin" in done.stderr


def test_the_server_command_still_parses_its_flags() -> None:
    done = subprocess.run([sys.executable, "-m", "server", "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "--port" in done.stdout


def at_a_terminal(*answers: bytes) -> tuple[bytes, int]:
    """Run hash-password on a pseudo-terminal, answering each prompt in turn; (what it showed, exit status)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and /dev/tty are the terminal
        os.execv(sys.executable, [sys.executable, "-m", "server", "hash-password"])
    shown = b""
    try:
        for answer in answers:
            while not shown.rstrip().endswith(b":"):
                ready, _, _ = select.select([fd], [], [], 20)
                assert ready, f"no prompt, only {shown!r}"
                shown += os.read(fd, 1024)
            os.write(fd, answer + b"\n")
            shown += b"|"
        while True:
            ready, _, _ = select.select([fd], [], [], 20)
            assert ready, f"stuck after {shown!r}"
            try:
                data = os.read(fd, 1024)
            except OSError:  # EIO: the child has closed the terminal
                break
            if not data:
                break
            shown += data
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return shown, os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(not hasattr(pty, "fork"), reason="needs a pseudo-terminal")
def test_at_a_terminal_it_prompts_twice_without_echo() -> None:
    shown, status = at_a_terminal(b"s3cret pass", b"s3cret pass")
    assert status == 0, shown
    assert b"Password:" in shown and b"Again:" in shown
    assert b"s3cret" not in shown  # never echoed
    encoded = shown.split(b"|")[-1].strip().decode()
    assert verify_password(encoded, "s3cret pass")


@pytest.mark.skipif(not hasattr(pty, "fork"), reason="needs a pseudo-terminal")
def test_at_a_terminal_two_different_answers_are_refused() -> None:
    shown, status = at_a_terminal(b"s3cret pass", b"s3cret typo")
    assert status == 2
    assert b"$argon2id$" not in shown
