"""``make run``'s demo mail system: an SMTP server (aiosmtpd) and an IMAP server (Twisted's
``twisted.mail.imap4``) on 127.0.0.1 only, sharing one store under ``var/demo-mail/``.

It plays every mail system at once: any address is a mailbox here, and every login takes
the password ``demo``. A mail handed to the SMTP server is put in the INBOX of each of its
recipients, so the support mailbox that ``seed_demo`` adds (``support@acme.test``) receives
what a customer sends, and a customer (``jane@customer.test``, or any address) receives the
agents' replies. A newcomer's mail client, the *Customer mail* page and the e-mail channel
itself all speak plain IMAP and SMTP to it.

Mails are files (``<user>/<folder>/<uid>.eml``) and survive a restart, with each folder's
UIDVALIDITY and next UID; flags (read, deleted) are kept in memory only. Run as
``python -m converse.demo_mail`` (``converse/run_demo.py`` does); the development tools
(Twisted, aiosmtpd) are imported only then, so the rest of Converse never needs them.
"""

import contextlib
import email
import email.utils
import io
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import quote, unquote

HOST = "127.0.0.1"  # never another address: every login takes the same password
PASSWORD = "demo"
SUPPORT_ADDRESS = "support@acme.test"
CUSTOMER_ADDRESS = "jane@customer.test"
CUSTOMER_NAME = "Jane Doe"
IMAP_PORT_DEFAULT, SMTP_PORT_DEFAULT = 1143, 1025


def imap_port() -> int:
    return int(os.environ.get("DEMO_IMAP_PORT", IMAP_PORT_DEFAULT))


def smtp_port() -> int:
    return int(os.environ.get("DEMO_SMTP_PORT", SMTP_PORT_DEFAULT))


def store_root() -> Path:
    return Path(os.environ.get("CONVERSE_VAR_DIR", "var")) / "demo-mail"


class Folder:
    """One IMAP folder: its mails on disk, their flags in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        state = path / "state.json"
        if state.exists():
            saved = json.loads(state.read_text())
            self.validity, self.next_uid = saved["validity"], saved["next_uid"]
        else:
            self.validity, self.next_uid = int(time.time()), 1
            self._save_state()
        self.uids = sorted(int(p.stem) for p in path.glob("*.eml"))
        self.flags: dict[int, set[str]] = {uid: set() for uid in self.uids}
        self.listeners: list = []

    def _save_state(self) -> None:
        partial = self.path / "state.json.part"
        partial.write_text(json.dumps({"validity": self.validity, "next_uid": self.next_uid}))
        os.replace(partial, self.path / "state.json")

    def add(self, raw: bytes, flags=()) -> int:
        uid, self.next_uid = self.next_uid, self.next_uid + 1
        self._save_state()
        partial = self.path / f"{uid}.part"
        partial.write_bytes(raw)
        os.replace(partial, self.path / f"{uid}.eml")
        self.uids.append(uid)
        self.flags[uid] = {f.decode() if isinstance(f, bytes) else f for f in flags}
        for listener in list(self.listeners):
            listener.newMessages(len(self.uids), None)
        return uid

    def raw(self, uid: int) -> bytes:
        return (self.path / f"{uid}.eml").read_bytes()

    def arrived(self, uid: int) -> float:
        return (self.path / f"{uid}.eml").stat().st_mtime

    def expunge(self) -> list[int]:
        gone = [n for n, uid in enumerate(self.uids, 1) if "\\Deleted" in self.flags[uid]]
        for n in reversed(gone):
            uid = self.uids.pop(n - 1)
            del self.flags[uid]
            (self.path / f"{uid}.eml").unlink(missing_ok=True)
        return gone


class Store:
    """Every address's folders, made on first use (by a login or a mail to it)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folders: dict[tuple[str, str], Folder] = {}

    @staticmethod
    def user(address: str) -> str:
        return address.strip().lower()

    def user_path(self, address: str) -> Path:
        return self.root / _path_name(self.user(address), safe="@.+-_")

    def folder(self, address: str, name: str = "INBOX") -> Folder:
        key = (self.user(address), name)
        if key not in self.folders:
            self.folders[key] = Folder(self.user_path(address) / _path_name(name, safe=""))
        return self.folders[key]

    def folder_names(self, address: str) -> list[str]:
        path = self.user_path(address)
        names = {"INBOX"}
        if path.exists():
            names |= {unquote(p.name) for p in path.iterdir() if p.is_dir()}
        return sorted(names)

    def deliver(self, address: str, raw: bytes) -> int:
        """Put ``raw`` in ``address``'s INBOX, as its mail server would."""
        return self.folder(address).add(raw)


def _path_name(name: str, *, safe: str) -> str:
    """``name`` as one file name: quoted, and never "." or ".." (nor hidden)."""
    quoted = quote(name, safe=safe)
    return f"%2E{quoted[1:]}" if quoted.startswith(".") else quoted


def serve(root: Path, *, imap: int, smtp: int) -> None:  # pragma: no cover - a process
    """Serve ``root``'s mail over IMAP and SMTP on 127.0.0.1 until SIGINT or SIGTERM."""
    import asyncio
    import logging
    import sys

    from twisted.internet import asyncioreactor

    # aiosmtpd logs a warning of its own deprecated attribute on each login.
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)
    from aiosmtpd.smtp import SMTP
    from twisted.internet import reactor

    store = Store(root)
    handler = _SmtpHandler(store)
    try:
        reactor.listenTCP(imap, _imap_factory(store), interface=HOST)
        loop.run_until_complete(
            loop.create_server(
                lambda: SMTP(
                    handler,
                    hostname="demo-mail.local",
                    auth_require_tls=False,
                    authenticator=_smtp_login,
                    loop=loop,
                ),
                HOST,
                smtp,
            )
        )
    except Exception as error:  # CannotListenError or OSError: a port already taken
        sys.exit(
            f"Demo mail not started: {error}. Another program holds port {imap} or {smtp}: "
            "set DEMO_IMAP_PORT and DEMO_SMTP_PORT (then run make run again)."
        )
    print(
        f"Demo mail: IMAP {HOST}:{imap}, SMTP {HOST}:{smtp}, any address, password {PASSWORD}",
        flush=True,
    )
    reactor.run()


def _smtp_login(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


class _SmtpHandler:
    """Every recipient is a mailbox of this demo: the mail goes into each one's INBOX."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        for recipient in envelope.rcpt_tos:
            self.store.deliver(recipient, raw)
        return "250 2.0.0 Ok: delivered"


def _imap_factory(store: Store):  # pragma: no cover - run in the process
    from twisted.cred import checkers, credentials, error, portal
    from twisted.internet import defer, protocol
    from twisted.mail import imap4
    from zope.interface import implementer

    @implementer(imap4.IMessage, imap4.IMessageFile)
    class Part:
        def __init__(self, raw: bytes, *, uid: int = 0, folder: Folder | None = None) -> None:
            self.raw, self.uid, self.folder = raw, uid, folder
            self.parsed = email.message_from_bytes(raw)

        def open(self):
            return io.BytesIO(self.raw)

        def getHeaders(self, negate, *names):
            wanted = {n.decode().lower() if isinstance(n, bytes) else n.lower() for n in names}
            return {
                k.lower(): str(v) for k, v in self.parsed.items() if (k.lower() in wanted) != negate
            }

        def getBodyFile(self):
            body = re.split(rb"\r?\n\r?\n", self.raw, maxsplit=1)
            return io.BytesIO(body[1] if len(body) > 1 else b"")

        def getSize(self):
            return len(self.raw)

        def isMultipart(self):
            return self.parsed.is_multipart()

        def getSubPart(self, part):
            return Part(self.parsed.get_payload(part).as_bytes())

        def getUID(self):
            return self.uid

        def getFlags(self):
            return sorted(self.folder.flags[self.uid])

        def getInternalDate(self):
            return email.utils.formatdate(self.folder.arrived(self.uid))

    @implementer(imap4.IMailbox, imap4.IMailboxInfo)
    class Mailbox:
        def __init__(self, folder: Folder) -> None:
            self.folder = folder

        def getFlags(self):
            return ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]

        def getHierarchicalDelimiter(self):
            return "/"

        def getUIDValidity(self):
            return self.folder.validity

        def getUIDNext(self):
            return self.folder.next_uid

        def getUID(self, message):
            return self.folder.uids[message - 1]

        def getMessageCount(self):
            return len(self.folder.uids)

        def getRecentCount(self):
            return 0

        def getUnseenCount(self):
            return sum("\\Seen" not in self.folder.flags[u] for u in self.folder.uids)

        def isWriteable(self):
            return True

        def destroy(self):
            pass

        def requestStatus(self, names):
            return imap4.statusRequestHelper(self, names)

        def addListener(self, listener):
            self.folder.listeners.append(listener)

        def removeListener(self, listener):
            self.folder.listeners.remove(listener)

        def addMessage(self, message, flags=(), date=None):
            return defer.succeed(self.folder.add(message.read(), flags))

        def expunge(self):
            return self.folder.expunge()

        def _chosen(self, messages, uid):
            uids = self.folder.uids
            with contextlib.suppress(ValueError):  # already set by the server
                messages.last = (uids[-1] if uids else 0) if uid else len(uids)
            for n, each in enumerate(uids, 1):
                if (each if uid else n) in messages:
                    yield n, each

        def fetch(self, messages, uid):
            return [
                (n, Part(self.folder.raw(each), uid=each, folder=self.folder))
                for n, each in self._chosen(messages, uid)
            ]

        def store(self, messages, flags, mode, uid):
            flags = {f.decode() if isinstance(f, bytes) else f for f in flags}
            changed = {}
            for n, each in self._chosen(messages, uid):
                held = self.folder.flags[each]
                if mode == 0:
                    held.clear()
                held.difference_update(flags) if mode == -1 else held.update(flags)
                changed[n] = sorted(held)
            return changed

    class Account(imap4.MemoryAccount):
        def __init__(self, address: str) -> None:
            super().__init__(address)
            for name in store.folder_names(address):
                self.mailboxes[name.upper()] = Mailbox(store.folder(address, name))

        def _emptyMailbox(self, name, id):
            return Mailbox(store.folder(self.name, name))

    accounts: dict[str, Account] = {}

    @implementer(portal.IRealm)
    class Realm:
        def requestAvatar(self, avatar_id, mind, *interfaces):
            address = Store.user(avatar_id.decode())
            if address not in accounts:
                accounts[address] = Account(address)
            return imap4.IAccount, accounts[address], lambda: None

    @implementer(checkers.ICredentialsChecker)
    class AnyAddress:
        credentialInterfaces = (credentials.IUsernamePassword,)

        def requestAvatarId(self, given):
            if given.checkPassword(PASSWORD.encode()):
                return defer.succeed(given.username)
            return defer.fail(error.UnauthorizedLogin())

    gate = portal.Portal(Realm(), [AnyAddress()])

    class Server(imap4.IMAP4Server):
        def _cbAppendGotMailbox(self, mbox, tag, flags, date, message):
            # An APPEND without a flag list (imaplib sends none) comes with None.
            return super()._cbAppendGotMailbox(mbox, tag, flags or [], date, message)

    class Factory(protocol.ServerFactory):
        def buildProtocol(self, addr):
            server = Server(
                chal={b"LOGIN": imap4.LOGINCredentials, b"PLAIN": imap4.PLAINCredentials}
            )
            server.portal, server.factory = gate, self
            return server

    return Factory()


if __name__ == "__main__":  # pragma: no cover
    serve(store_root(), imap=imap_port(), smtp=smtp_port())
