"""`mediashelf user …` and `mediashelf apikey …`: accounts from the command line.

The first admin can be made here (`mediashelf user add NAME --admin`) or on
the first-run page. Passwords are asked for on the terminal, or read from
standard input with --password-stdin (for scripts); never taken as an
argument, where they would land in the shell's history and `ps`.
"""

from __future__ import annotations

import getpass
import sys
from datetime import timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediashelf.auth import apikeys, sessions, users
from mediashelf.auth.access import SCOPES
from mediashelf.cli import CliError, _setup, err, out
from mediashelf.config import ROLES
from mediashelf.db.models import ApiKey, User
from mediashelf.library.clock import utcnow

user_app: typer.Typer = typer.Typer(help="User accounts.", no_args_is_help=True)
apikey_app: typer.Typer = typer.Typer(
    help="API keys for scripts, LAN clients and workers.", no_args_is_help=True
)

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (scripts)."),
]


def _db() -> Session:
    _settings, engine = _setup()
    return Session(engine, expire_on_commit=False)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for a password on: pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CliError("the two passwords differ")
    return first


def _user(db: Session, name: str) -> User:
    user = users.find(db, name)
    if user is None:
        raise CliError(f"no user {name!r} (see `mediashelf user list`)")
    return user


def _fail(exc: ValueError) -> CliError:
    return CliError(str(exc))


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Letters, digits and . _ @ -")],
    admin: Annotated[bool, typer.Option("--admin", help="Make an admin.")] = False,
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")] = "member",
    display_name: Annotated[str, typer.Option("--display-name", help="Shown name.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user with a password (asked for twice)."""
    role = "admin" if admin else role
    with _db() as db:
        if role not in ROLES:
            raise CliError(f"a role is one of {', '.join(ROLES)} (got {role!r})")
        try:
            users.normalise(username)
            user = users.create(db, username, _password(password_stdin), role, display_name)
        except ValueError as exc:
            raise _fail(exc) from None
        out.print(f"created {user.role} {escape(user.username)!r}")


@user_app.command("list")
def user_list() -> None:
    """List users."""
    with _db() as db:
        table = Table("id", "username", "name", "role", "state", "login", "last login")
        for user in db.scalars(select(User).order_by(User.id)):
            login = "password" if user.password_hash else ("OIDC" if user.oidc_subject else "-")
            table.add_row(
                str(user.id),
                escape(user.username),
                escape(user.display_name),
                user.role,
                "disabled" if user.disabled else "active",
                login,
                user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never",
            )
        out.print(table)


@user_app.command("passwd")
def user_passwd(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password; they are logged out everywhere."""
    with _db() as db:
        user = _user(db, username)
        try:
            users.set_password(db, user, _password(password_stdin))
        except ValueError as exc:
            raise _fail(exc) from None
        out.print(f"password of {escape(user.username)!r} changed; their sessions ended")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user: they are logged out and their API keys stop working."""
    with _db() as db:
        user = _user(db, username)
        try:
            users.update(db, user, disabled=True)
        except ValueError as exc:
            raise _fail(exc) from None
        out.print(f"disabled {escape(user.username)!r}")


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled user again."""
    with _db() as db:
        user = _user(db, username)
        users.update(db, user, disabled=False)
        out.print(f"enabled {escape(user.username)!r}")


@user_app.command("role")
def user_role(
    username: str, role: Annotated[str, typer.Argument(help="admin, member or viewer")]
) -> None:
    """Change a user's role."""
    with _db() as db:
        user = _user(db, username)
        try:
            users.update(db, user, role=role)
        except ValueError as exc:
            raise _fail(exc) from None
        out.print(f"{escape(user.username)!r} is now {role}")


@user_app.command("logout")
def user_logout(username: str) -> None:
    """End every session of a user."""
    with _db() as db:
        ended = sessions.end_all(db, _user(db, username).id)
        out.print(f"ended {ended} session{'s' if ended != 1 else ''}")


@apikey_app.command("create")
def apikey_create(
    user: Annotated[str, typer.Option("--user", "-u", help="Whose key.")],
    name: Annotated[str, typer.Option("--name", "-n", help="What it is for.")],
    scope: Annotated[
        str, typer.Option("--scope", "-s", help=f"One of {', '.join(SCOPES)}.")
    ] = "read",
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, max=3650, help="Expire after N days.")
    ] = None,
) -> None:
    """Create an API key and print it. It is shown this once: store it now."""
    with _db() as db:
        owner = _user(db, user)
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None
        try:
            key, secret = apikeys.create(db, owner, name, scope, expires)
        except ValueError as exc:
            raise _fail(exc) from None
        print(secret)  # plain, on stdout alone: `KEY=$(mediashelf apikey create …)` works

        err.print(
            f"key {key.id} ({key.scope}) for {escape(owner.username)!r} created; it is shown "
            "only now. Send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'."
        )


@apikey_app.command("list")
def apikey_list(
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user's.")] = None,
) -> None:
    """List API keys (never their secrets)."""
    with _db() as db:
        owner = _user(db, user).id if user else None
        names = {uid: name for uid, name in db.execute(select(User.id, User.username))}
        table = Table("id", "user", "name", "scope", "starts", "state", "expires", "last used")
        for key in apikeys.listing(db, owner):
            table.add_row(
                str(key.id),
                escape(names.get(key.user_id, "?")),
                escape(key.name),
                key.scope,
                key.prefix + "…",
                apikeys.state(key),
                key.expires_at.strftime("%Y-%m-%d") if key.expires_at else "never",
                key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "never",
            )
        out.print(table)


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[int, typer.Argument(help="The id from `apikey list`.")],
) -> None:
    """Revoke a key; it stops working on the next request."""
    with _db() as db:
        key = db.get(ApiKey, key_id)
        if key is None:
            raise CliError(f"no API key {key_id} (see `mediashelf apikey list`)")
        apikeys.revoke(db, key)
        out.print(f"revoked key {key.id} ({escape(key.name)})")
