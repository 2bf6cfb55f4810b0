"""Holding back whoever guesses staff passwords and codes.

Failed guesses count per account and client together, as in OWASP's "device cookies":
the client is a browser showing the device cookie its member was given at an earlier
sign-in, a signed-in session (changing the password), or else the address. After
MAX_FAILED_SIGN_INS failures a client waits FIRST_HOLD before its next guess at that
account, twice as long after each further failure, at most LONGEST_HOLD; other clients
are not held back, so a stranger's guesses never keep a member out, and a member on a
device they signed in on before is counted apart from everyone else.

Every password or code check first claims one of its client's guesses with one
conditional UPDATE, and the guess that reaches the limit starts the hold in that same
statement, so guesses sent at the same moment from one client get at most
MAX_FAILED_SIGN_INS checks, then one per hold.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.domain import audit
from intake.domain.crypto import token_digest
from intake.models import SignInThrottle, StaffMember, StaffSession, UTCDateTime

# A client's failed guesses at one account before it is held back: then it waits a
# minute, twice as long after each further failure (2, 4, 8 minutes), at most 15.
MAX_FAILED_SIGN_INS = 5
FIRST_HOLD = timedelta(minutes=1)
LONGEST_HOLD = timedelta(minutes=15)
# A client's count is forgotten a day after its last guess (intake.domain.retention).
THROTTLES_KEPT_FOR = timedelta(days=1)
ADDRESS = "address"
DEVICE = "device"


@dataclass(frozen=True)
class Client:
    """Where guesses at an account come from, known only by a digest: a device (a
    browser's device cookie, or a signed-in session) or an address."""

    kind: str
    digest: str

    @classmethod
    def at_address(cls, address: str) -> "Client":
        return cls(ADDRESS, token_digest(f"{ADDRESS}:{address}"))

    @classmethod
    def on_device(cls, nonce: str) -> "Client":
        return cls(DEVICE, token_digest(f"{DEVICE}:{nonce}"))

    @classmethod
    def in_session(cls, staff_session: StaffSession) -> "Client":
        """A signed-in session is a device of its own."""
        return cls(DEVICE, token_digest(f"session:{staff_session.id}"))


@dataclass(frozen=True)
class Origin:
    """Where a sign-in comes from: the browser's address (as the caller names it: the
    web layer gives a keyed digest), and the nonce of each member's device cookie it
    shows (the caller has checked the cookie's signature)."""

    address: str
    devices: Mapping[int, str] = field(default_factory=dict)

    def client_for(self, staff: StaffMember) -> Client:
        """The member's own device if this browser is one, otherwise the address."""
        nonce = self.devices.get(staff.id)
        return Client.on_device(nonce) if nonce else Client.at_address(self.address)


@dataclass(frozen=True)
class Guess:
    """One claimed guess: its client, and its number among that client's guesses at
    the account since its last sign-in (which decides the hold a wrong one brings)."""

    client: Client
    number: int


@dataclass(frozen=True)
class HeldBack:
    """A member's sign-in held back now: from how many addresses and devices, and
    until when at the latest."""

    addresses: int
    devices: int
    until: datetime

    @property
    def places(self) -> str:
        """Like "2 addresses and 1 device"."""
        counts = ((self.addresses, ADDRESS, "addresses"), (self.devices, DEVICE, "devices"))
        return " and ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)


def hold_after(failures: int) -> timedelta | None:
    """How long a client waits for its next guess after this many failures: not at all
    below MAX_FAILED_SIGN_INS, then FIRST_HOLD, doubled by each further failure, at
    most LONGEST_HOLD."""
    if failures < MAX_FAILED_SIGN_INS:
        return None
    doublings = min(failures - MAX_FAILED_SIGN_INS, 10)  # 2**10 minutes is past the cap
    return min(FIRST_HOLD * 2**doublings, LONGEST_HOLD)


def _held_until_after(failures, now: datetime):
    """SQL: the end of the hold once `failures` (an SQL expression) are counted, each
    possible end a parameter worked out here, so one statement counts and holds."""
    ends = []
    number = MAX_FAILED_SIGN_INS
    while hold_after(number) < LONGEST_HOLD:
        ends.append((failures == number, literal(now + hold_after(number), UTCDateTime)))
        number += 1
    return case(
        (failures < MAX_FAILED_SIGN_INS, null()),
        *ends,
        else_=literal(now + LONGEST_HOLD, UTCDateTime),
    )


def _insert(session: Session):
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect's own words."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(SignInThrottle)


def _client_row(staff: StaffMember, client: Client) -> list:
    return [SignInThrottle.staff_id == staff.id, SignInThrottle.client_digest == client.digest]


def claim_guess(
    session: Session, staff: StaffMember, client: Client, now: datetime
) -> Guess | None:
    """Take one of this client's guesses at the account before checking a password or
    a code; None while the client is held back; commits.

    Counting, checking the hold and starting the next one are one statement, so no two
    requests can both take the last guess before a hold: the guess that reaches the
    limit starts the hold at once (a right password gives it back, and lifts it).
    """
    session.execute(
        _insert(session)
        .values(
            staff_id=staff.id,
            client_digest=client.digest,
            client_kind=client.kind,
            failures=0,
            last_failure_at=now,
        )
        .on_conflict_do_nothing()
    )
    counted = SignInThrottle.failures + 1
    number = session.scalar(
        update(SignInThrottle)
        .where(
            *_client_row(staff, client),
            or_(SignInThrottle.held_until.is_(None), SignInThrottle.held_until <= now),
        )
        .values(failures=counted, held_until=_held_until_after(counted, now), last_failure_at=now)
        .returning(SignInThrottle.failures)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return None if number is None else Guess(client, number)


def give_back_guess(session: Session, staff: StaffMember, guess: Guess) -> None:
    """A right password does not count against its client, nor hold it back; commits."""
    session.execute(
        update(SignInThrottle)
        .where(*_client_row(staff, guess.client), SignInThrottle.failures > 0)
        .values(failures=SignInThrottle.failures - 1, held_until=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def register_failure(
    session: Session, staff: StaffMember, guess: Guess, action: str, reason: str, now: datetime
) -> None:
    """A claimed guess was wrong: audit it, and that its client is held back if it
    reached the limit (its claim started the hold); commits."""
    audit.record(session, action, staff_id=staff.id, detail={"reason": reason}, now=now)
    hold = hold_after(guess.number)
    if hold is not None:
        detail = {"client": guess.client.kind, "minutes": hold // timedelta(minutes=1)}
        audit.record(session, audit.ACCOUNT_LOCKED, staff_id=staff.id, detail=detail, now=now)
    session.commit()


def held_back(session: Session, now: datetime) -> dict[int, HeldBack]:
    """Each member held back from signing in somewhere now, by member id."""
    query = (
        select(
            SignInThrottle.staff_id,
            SignInThrottle.client_kind,
            func.count(),
            func.max(SignInThrottle.held_until),
        )
        .where(SignInThrottle.held_until > now)
        .group_by(SignInThrottle.staff_id, SignInThrottle.client_kind)
    )
    found: dict[int, dict] = {}
    for staff_id, kind, clients, until in session.execute(query):
        held = found.setdefault(staff_id, {ADDRESS: 0, DEVICE: 0, "until": until})
        held[kind] = clients
        held["until"] = max(held["until"], until)
    return {
        staff_id: HeldBack(addresses=held[ADDRESS], devices=held[DEVICE], until=held["until"])
        for staff_id, held in found.items()
    }


def forget_client_guesses(session: Session, staff: StaffMember, client: Client) -> None:
    """This client's count at the account starts again (it signed in); the caller commits."""
    session.execute(delete(SignInThrottle).where(*_client_row(staff, client)))


def forget_all_guesses(session: Session, staff: StaffMember) -> None:
    """Every client's count at the account starts again, and every hold on it is
    lifted; the caller commits."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.staff_id == staff.id))


def forget_old_throttles(session: Session, now: datetime) -> None:
    """Counts of clients that last guessed more than THROTTLES_KEPT_FOR ago (far longer
    than any hold) are forgotten: the nightly purge; the caller commits."""
    old = now - THROTTLES_KEPT_FOR
    session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < old))
