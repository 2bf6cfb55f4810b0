"""Staff accounts: passwords (argon2id), the TOTP second factor, and holding back
whoever guesses them.

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

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import pyotp
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import case, delete, func, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from intake.domain import audit, queue, staff_sessions
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault, token_digest
from intake.models import SignInThrottle, StaffMember, StaffSession, UTCDateTime

AGENT = "agent"
SUPERVISOR = "supervisor"
ROLES = (AGENT, SUPERVISOR)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# A client's failed guesses at one account before it is held back: then it waits a
# minute, twice as long after each further failure (2, 4, 8 minutes), at most 15.
MAX_FAILED_SIGN_INS = 5
FIRST_HOLD = timedelta(minutes=1)
LONGEST_HOLD = timedelta(minutes=15)
# A client's count is forgotten a day after its last guess (intake.domain.retention).
THROTTLES_KEPT_FOR = timedelta(days=1)
ADDRESS = "address"
DEVICE = "device"
TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
# A temporary password is read out or written down: no 0/o, 1/l/i to mix up.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4
TEMPORARY_GROUP_LENGTH = 4  # 16 characters of 31: about 79 bits
TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=24)  # a reset at night, used next shift

# argon2id's costs: RFC 9106's recommendation, or the cheapest argon2 allows, for tests
# that make many accounts (intake.config refuses it in production).
PASSWORD_COSTS = {"recommended": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}


class PasswordHashing:
    """A hasher at the named costs, and a hash of no one's password, which refusals
    verify against so that they cost the same work as a real check."""

    def __init__(self, costs: str) -> None:
        self.costs = costs
        self.hasher = PasswordHasher.from_parameters(PASSWORD_COSTS[costs])

    @cached_property
    def unused_hash(self) -> str:
        """Made at the first refusal, not at import: every process (each `flask`
        command, the gunicorn master) would otherwise pay a full hash to start."""
        return self.hasher.hash("a password that is never anyone's")


_hashing = PasswordHashing("recommended")


def use_password_costs(costs: str) -> None:
    """Hash new passwords at these costs from now on, in this whole process. A password
    hashed at other costs is hashed again when its owner next signs in."""
    global _hashing
    if costs != _hashing.costs:
        _hashing = PasswordHashing(costs)


def _hash(password: str) -> str:
    return _hashing.hasher.hash(password)


class AccountError(ValueError):
    """A staff account change that cannot be made; the message says why."""


class WrongPassword(AccountError):
    """The current password given to change it is not right, or no more guesses are left."""


class PasswordChangedMeanwhile(WrongPassword):
    """Another window changed the password while this change was being made."""


TOO_MANY_GUESSES = "There have been too many wrong passwords: wait a few minutes, then try again"
CHANGED_MEANWHILE = (
    "Your password was changed in another window a moment ago, so this change was not "
    "made. If that was not you, ask a supervisor to reset your sign-in now."
)


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


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a password is not good enough, or None if it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use {MAX_PASSWORD_LENGTH} characters or fewer"
    if password.lower() in COMMON_PASSWORDS:
        return "This password is on a list of common passwords: choose another"
    hints = [part for part in (email, email.split("@")[0], name) if part]
    if zxcvbn(password[:100], user_inputs=hints)["score"] < 3:
        return "This password would be easy to guess: try a few unrelated words together"
    return None


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError("Enter a valid email address") from None


def find_by_email(session: Session, email: str) -> StaffMember | None:
    query = select(StaffMember).where(func.lower(StaffMember.email) == email.strip().lower())
    return session.scalar(query)


def create_staff(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    created_by: int | None = None,
    now: datetime | None = None,
) -> StaffMember:
    """Create an account with a password its member chose (the operator's `staff create`:
    its second factor is set up at first sign-in), and commit."""
    email, name = _checked_identity(session, email, name, role)
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem)
    staff = StaffMember(email=email, name=name, role=role, password_hash=_hash(password))
    return _add(session, staff, created_by, now or utc_now())


def invite_staff(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    created_by: int | None = None,
    now: datetime | None = None,
) -> tuple[StaffMember, str]:
    """A supervisor adds a colleague, and commits: the account and a temporary password
    to pass on (shown once, working for TEMPORARY_PASSWORD_LIFETIME). As after a reset,
    it leads only to the member choosing their own password and setting up their own
    authenticator, so whoever added them never knows either."""
    now = now or utc_now()
    email, name = _checked_identity(session, email, name, role)
    temporary = _temporary_password()
    staff = StaffMember(
        email=email,
        name=name,
        role=role,
        password_hash=_hash(temporary),
        password_change_required=True,
        temporary_password_expires_at=now + TEMPORARY_PASSWORD_LIFETIME,
    )
    return _add(session, staff, created_by, now), temporary


def _checked_identity(session: Session, email: str, name: str, role: str) -> tuple[str, str]:
    """The new account's email and name, normalised; AccountError if they cannot be used."""
    email = normalise_email(email)
    name = name.strip()
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}")
    if not 1 <= len(name) <= 80:
        raise AccountError("Enter a name of 1 to 80 characters")
    if find_by_email(session, email):
        raise AccountError("There is already an account with that email address")
    return email, name


def _add(
    session: Session, staff: StaffMember, created_by: int | None, now: datetime
) -> StaffMember:
    staff.created_at = now
    session.add(staff)
    session.flush()
    detail = {"member": staff.id, "role": staff.role}
    audit.record(session, audit.STAFF_CREATED, staff_id=created_by, detail=detail, now=now)
    session.commit()
    return staff


def check_password(
    session: Session, email: str, password: str, origin: Origin, now: datetime | None = None
) -> StaffMember | None:
    """The account if the password is right and the account usable; None otherwise.

    Unknown and disabled accounts, and a client held back from this one, cost the same
    argon2 work and get the same answer, so the reply says nothing about which
    accounts exist.
    """
    now = now or utc_now()
    staff = find_by_email(session, email)
    guess = _claim_or_refusal(session, staff, origin, now)
    if isinstance(guess, str):
        _verify(_hashing.unused_hash, password)
        audit.record(
            session,
            audit.SIGN_IN_FAILED,
            staff_id=staff.id if staff else None,
            detail={"reason": guess},
            now=now,
        )
        session.commit()
        return None
    if not _verify(staff.password_hash, password):
        register_failure(session, staff, guess, audit.SIGN_IN_FAILED, "wrong password", now)
        return None
    _give_back_guess(session, staff, guess)
    if _temporary_password_expired(staff, now):
        detail = {"reason": "temporary password expired"}
        audit.record(session, audit.SIGN_IN_FAILED, staff_id=staff.id, detail=detail, now=now)
        session.commit()
        return None
    if _hashing.hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hash(password)
        session.commit()
    return staff


def _temporary_password_expired(staff: StaffMember, now: datetime) -> bool:
    expires = staff.temporary_password_expires_at
    return staff.password_change_required and (expires is None or expires <= now)


def _claim_or_refusal(
    session: Session, staff: StaffMember | None, origin: Origin, now: datetime
) -> Guess | str:
    """A guess claimed for this sign-in's client, or why the password is not checked."""
    if staff is None:
        return "unknown"
    if not staff.active:
        return "disabled"
    return claim_guess(session, staff, origin.client_for(staff), now) or "held back"


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hashing.hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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


def _give_back_guess(session: Session, staff: StaffMember, guess: Guess) -> None:
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


def _forget_guesses(session: Session, staff: StaffMember) -> None:
    session.execute(delete(SignInThrottle).where(SignInThrottle.staff_id == staff.id))


def forget_old_throttles(session: Session, now: datetime) -> None:
    """Counts of clients that last guessed more than THROTTLES_KEPT_FOR ago (far longer
    than any hold) are forgotten: the nightly purge; the caller commits."""
    old = now - THROTTLES_KEPT_FOR
    session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < old))


def _update(session: Session, staff: StaffMember, conditions: list, **values) -> bool:
    """One conditional UPDATE of this member's row; whether it changed the row."""
    statement = (
        update(StaffMember)
        .where(StaffMember.id == staff.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def start_enrolment(session: Session, vault: Vault, staff: StaffMember, issuer: str) -> Enrolment:
    """The TOTP secret to scan (made once, kept encrypted until the first code proves it)."""
    if staff.totp_enrolled_at is not None:
        raise AccountError("The second factor is already set up")
    if staff.totp_secret is None:
        staff.totp_secret = vault.seal({"totp": pyotp.random_base32()})
        session.commit()
    secret = vault.open(staff.totp_secret)["totp"]
    uri = pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=issuer)
    return Enrolment(secret=secret, uri=uri)


def check_code(
    session: Session,
    vault: Vault,
    staff: StaffMember,
    code: str,
    client: Client,
    now: datetime | None = None,
) -> bool:
    """Accept a TOTP code once: the step it belongs to can never be used again.

    Each code costs one of the client's guesses, as a password does (complete_sign_in
    clears its count). The step is claimed by a conditional UPDATE, so when several
    sessions send the same code at once one of them wins and the others count as
    failed guesses.
    """
    now = now or utc_now()
    if staff.totp_secret is None:
        return False
    action = audit.SECOND_FACTOR_FAILED
    guess = claim_guess(session, staff, client, now)
    if guess is None:
        audit.record(session, action, staff_id=staff.id, detail={"reason": "held back"}, now=now)
        session.commit()
        return False
    step = _matching_step(vault, staff, code, now)
    if step is None:
        register_failure(session, staff, guess, action, "wrong code", now)
        return False
    if not _claim_step(session, staff, step):
        register_failure(session, staff, guess, action, "code used already", now)
        return False
    return True


def _matching_step(vault: Vault, staff: StaffMember, code: str, now: datetime) -> int | None:
    """The unused time step (previous, current or next) this code belongs to, if any.

    Only ASCII digits make a code: str.isdigit() also accepts Arabic-Indic or
    fullwidth digits, which hmac.compare_digest cannot compare.
    """
    code = "".join(code.split())
    if len(code) != TOTP_DIGITS or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(vault.open(staff.totp_secret)["totp"])
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if step > (staff.totp_last_step or 0) and hmac.compare_digest(
            totp.generate_otp(step), code
        ):
            return step
    return None


def _claim_step(session: Session, staff: StaffMember, step: int) -> bool:
    """Mark the code's step used, unless this or a later step already is; commits."""
    last = StaffMember.totp_last_step
    claimed = _update(session, staff, [or_(last.is_(None), last < step)], totp_last_step=step)
    session.commit()
    session.refresh(staff)
    return claimed


def complete_sign_in(
    session: Session, staff: StaffMember, now: datetime | None = None, client: Client | None = None
) -> None:
    """Both factors passed: the client's count starts again, and enrolment finishes if
    this was the first code; commits."""
    now = now or utc_now()
    if client is not None:
        session.execute(delete(SignInThrottle).where(*_client_row(staff, client)))
    if staff.totp_enrolled_at is None:
        staff.totp_enrolled_at = now
        audit.record(session, audit.SECOND_FACTOR_ENROLLED, staff_id=staff.id, now=now)
    audit.record(session, audit.SIGN_IN, staff_id=staff.id, now=now)
    session.commit()


def change_password(
    session: Session,
    staff: StaffMember,
    current: str,
    new: str,
    *,
    keep: StaffSession | None = None,
    client: Client | None = None,
    now: datetime | None = None,
) -> None:
    """A signed-in member changes their own password; commits.

    The current password costs a guess like a sign-in (WrongPassword if it is not
    right), counted against `client`, by default the session `keep` it is made in;
    the new one must be strong. Every session but `keep` ends: the member's session
    version changes, so the caller signs `keep` in again with the new one.

    The new password replaces only the one just checked (a conditional UPDATE), so of
    two changes made at once in two windows one wins, and the other is refused
    (PasswordChangedMeanwhile) and ends with the winner's change like every session.
    """
    now = now or utc_now()
    if client is None:
        if keep is None:
            raise ValueError("count the guess against a client or the session it is made in")
        client = Client.in_session(keep)
    guess = claim_guess(session, staff, client, now)
    if guess is None:
        _refuse_change(session, staff, "held back", now)
        raise WrongPassword(TOO_MANY_GUESSES)
    checked = staff.password_hash
    if not _verify(checked, current):
        action = audit.PASSWORD_CHANGE_FAILED
        register_failure(session, staff, guess, action, "wrong password", now)
        raise WrongPassword("Your current password is not right")
    _give_back_guess(session, staff, guess)
    if new == current:
        raise AccountError("Choose a new password, not the one you have now")
    _check_strength(staff, new)
    replaced = _update(
        session,
        staff,
        [StaffMember.password_hash == checked],
        password_hash=_hash(new),
        session_version=StaffMember.session_version + 1,
    )
    if not replaced:
        _refuse_change(session, staff, "changed in another window", now)
        raise PasswordChangedMeanwhile(CHANGED_MEANWHILE)
    staff_sessions.end_all(session, staff.id, now, keep=keep.id if keep else None)
    audit.record(session, audit.PASSWORD_CHANGED, staff_id=staff.id, now=now)
    session.commit()
    session.refresh(staff)


def _refuse_change(session: Session, staff: StaffMember, reason: str, now: datetime) -> None:
    action = audit.PASSWORD_CHANGE_FAILED
    audit.record(session, action, staff_id=staff.id, detail={"reason": reason}, now=now)
    session.commit()


def _check_strength(staff: StaffMember, password: str) -> None:
    problem = password_problem(password, email=staff.email, name=staff.name)
    if problem:
        raise AccountError(problem)


def choose_new_password(
    session: Session, staff: StaffMember, password: str, now: datetime | None = None
) -> None:
    """After a supervisor's reset, the member replaces the temporary password with one
    of their own (once: a conditional UPDATE, so two tabs cannot both do it); commits."""
    now = now or utc_now()
    _check_strength(staff, password)
    if _verify(staff.password_hash, password):
        raise AccountError("Choose your own password, not the temporary one")
    if not _update(
        session,
        staff,
        [StaffMember.password_change_required.is_(True)],
        password_hash=_hash(password),
        password_change_required=False,
        temporary_password_expires_at=None,
    ):
        raise AccountError("Your new password is already chosen: sign in with it")
    audit.record(session, audit.PASSWORD_CHANGED, staff_id=staff.id, now=now)
    session.commit()
    session.refresh(staff)


def sign_out(session: Session, staff: StaffMember, action: str = audit.SIGN_OUT) -> int:
    """End every session of this member (the session id carries the version); what they
    held goes back to the queue, so nobody waits on someone who has gone home. Returns
    how many requests went back."""
    now = utc_now()
    _end_every_session(session, staff)
    released = queue.release_all_held_by(session, staff.id, because="signed_out", now=now)
    audit.record(session, action, staff_id=staff.id, now=now)
    session.commit()
    return len(released)


def _end_every_session(session: Session, staff: StaffMember) -> None:
    staff.session_version += 1
    staff_sessions.end_all(session, staff.id, utc_now())


def disable(session: Session, staff: StaffMember, by: int | None = None) -> None:
    """No more sign-ins; current sessions end; what they held goes back to the queue."""
    staff.active = False
    _end_every_session(session, staff)
    queue.release_all_held_by(session, staff.id, because="disabled", by_id=by, now=utc_now())
    audit.record(session, audit.STAFF_DISABLED, staff_id=by, detail={"member": staff.id})
    session.commit()


def enable(session: Session, staff: StaffMember, by: int | None = None) -> None:
    """A disabled member may sign in again, with their password and security code."""
    if staff.active:
        raise AccountError(f"{staff.name}'s account is already active.")
    staff.active = True
    _forget_guesses(session, staff)
    audit.record(session, audit.STAFF_ENABLED, staff_id=by, detail={"member": staff.id})
    session.commit()


def unlock(
    session: Session, staff: StaffMember, by: int | None = None, now: datetime | None = None
) -> None:
    """Lift every hold on the member's sign-in before it runs out, from every address
    and device, and start every count again; commits."""
    now = now or utc_now()
    if staff.id not in held_back(session, now):
        raise AccountError(f"{staff.name} is not held back from signing in anywhere.")
    _forget_guesses(session, staff)
    audit.record(session, audit.ACCOUNT_UNLOCKED, staff_id=by, detail={"member": staff.id}, now=now)
    session.commit()


def reset_second_factor(session: Session, staff: StaffMember, by: int | None = None) -> None:
    """The member sets up a new second factor at their next sign-in, with their own
    password (the operator's `staff reset-2fa`; supervisors use reset_sign_in)."""
    staff.totp_secret = None
    staff.totp_enrolled_at = None
    staff.totp_last_step = None
    _end_every_session(session, staff)
    audit.record(session, audit.SECOND_FACTOR_RESET, staff_id=by, detail={"member": staff.id})
    session.commit()


def reset_sign_in(
    session: Session, staff: StaffMember, by: int | None = None, now: datetime | None = None
) -> str:
    """A supervisor's reset: the member's password and authenticator stop working, and
    every session ends; commits. Returns a temporary password for the supervisor to
    pass on (shown once, only its hash kept, working for TEMPORARY_PASSWORD_LIFETIME):
    it leads only to choosing a new password, then setting up a new authenticator,
    both by the member themselves."""
    now = now or utc_now()
    if by == staff.id:
        raise AccountError("You cannot reset your own sign-in: change your password instead.")
    temporary = _temporary_password()
    staff.password_hash = _hash(temporary)
    staff.password_change_required = True
    staff.temporary_password_expires_at = now + TEMPORARY_PASSWORD_LIFETIME
    staff.totp_secret = None
    staff.totp_enrolled_at = None
    staff.totp_last_step = None
    _forget_guesses(session, staff)
    _end_every_session(session, staff)
    audit.record(session, audit.SIGN_IN_RESET, staff_id=by, detail={"member": staff.id}, now=now)
    session.commit()
    return temporary


def _temporary_password() -> str:
    """Like "k7qm-4z2p-...": random, easy to read out, typed once."""
    return "-".join(
        "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_GROUP_LENGTH))
        for _ in range(TEMPORARY_GROUPS)
    )


def list_staff(session: Session) -> list[StaffMember]:
    return list(session.scalars(select(StaffMember).order_by(StaffMember.name)))


def active_colleagues(session: Session, staff_id: int) -> list[StaffMember]:
    """Every active member but `staff_id`, by name."""
    query = select(StaffMember).where(StaffMember.active.is_(True), StaffMember.id != staff_id)
    return list(session.scalars(query.order_by(StaffMember.name)))


def signed_in_colleagues(
    session: Session, staff_id: int, now: datetime, idle: timedelta
) -> list[StaffMember]:
    """Every active member but `staff_id` who is signed in now, by name: the people a
    request may be handed to."""
    query = select(StaffMember).where(
        StaffMember.active.is_(True),
        StaffMember.id != staff_id,
        staff_sessions.has_live_session(StaffMember.id, now, idle),
    )
    return list(session.scalars(query.order_by(StaffMember.name)))
