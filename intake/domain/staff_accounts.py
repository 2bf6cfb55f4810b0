"""Staff accounts: passwords (argon2id), lockout, and the TOTP second factor."""

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from intake.domain import audit, queue, staff_sessions
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault
from intake.models import StaffMember

AGENT = "agent"
SUPERVISOR = "supervisor"
ROLES = (AGENT, SUPERVISOR)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_FAILED_SIGN_INS = 5
LOCK_DURATION = timedelta(minutes=15)
TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])

_hasher = PasswordHasher()  # argon2id with the library's current recommended costs
_UNUSED_HASH = _hasher.hash("a password that is never anyone's")


class AccountError(ValueError):
    """A staff account change that cannot be made; the message says why."""


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
    """Create an account (its second factor is set up at first sign-in), and commit."""
    email = normalise_email(email)
    name = name.strip()
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}")
    if not 1 <= len(name) <= 80:
        raise AccountError("Enter a name of 1 to 80 characters")
    if find_by_email(session, email):
        raise AccountError("There is already an account with that email address")
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem)
    staff = StaffMember(
        email=email,
        name=name,
        role=role,
        password_hash=_hasher.hash(password),
        created_at=now or utc_now(),
    )
    session.add(staff)
    session.flush()
    audit.record(
        session, audit.STAFF_CREATED, staff_id=created_by, detail={"member": staff.id, "role": role}
    )
    session.commit()
    return staff


def check_password(
    session: Session, email: str, password: str, now: datetime | None = None
) -> StaffMember | None:
    """The account if the password is right and the account usable; None otherwise.

    Unknown, disabled and locked accounts cost the same argon2 work and get the
    same answer, so the reply says nothing about which accounts exist.
    """
    now = now or utc_now()
    staff = find_by_email(session, email)
    if staff is None or not staff.active or is_locked(staff, now):
        _verify(_UNUSED_HASH, password)
        reason = "unknown" if staff is None else "locked" if staff.active else "disabled"
        audit.record(
            session,
            audit.SIGN_IN_FAILED,
            staff_id=staff.id if staff else None,
            detail={"reason": reason},
            now=now,
        )
        session.commit()
        return None
    if not _verify(staff.password_hash, password):
        register_failure(session, staff, "password", now)
        return None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
        session.commit()
    return staff


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_locked(staff: StaffMember, now: datetime) -> bool:
    return staff.locked_until is not None and staff.locked_until > now


def register_failure(session: Session, staff: StaffMember, step: str, now: datetime) -> None:
    """Count a failed password or code; lock the account after too many in a row."""
    staff.failed_sign_ins += 1
    action = audit.SIGN_IN_FAILED if step == "password" else audit.SECOND_FACTOR_FAILED
    audit.record(session, action, staff_id=staff.id, detail={"reason": "wrong " + step}, now=now)
    if staff.failed_sign_ins >= MAX_FAILED_SIGN_INS:
        staff.locked_until = now + LOCK_DURATION
        staff.failed_sign_ins = 0
        audit.record(session, audit.ACCOUNT_LOCKED, staff_id=staff.id, now=now)
    session.commit()


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
    session: Session, vault: Vault, staff: StaffMember, code: str, now: datetime | None = None
) -> bool:
    """Accept a TOTP code once: the step it belongs to can never be used again."""
    now = now or utc_now()
    code = "".join(code.split())
    if staff.totp_secret is None or is_locked(staff, now):
        return False
    if len(code) == TOTP_DIGITS and code.isdigit():
        totp = pyotp.TOTP(vault.open(staff.totp_secret)["totp"])
        current = int(now.timestamp()) // TOTP_STEP_SECONDS
        for step in (current - 1, current, current + 1):
            if step > (staff.totp_last_step or 0) and hmac.compare_digest(
                totp.generate_otp(step), code
            ):
                staff.totp_last_step = step
                session.commit()
                return True
    register_failure(session, staff, "code", now)
    return False


def complete_sign_in(session: Session, staff: StaffMember, now: datetime | None = None) -> None:
    """Both factors passed: clear failures, finish enrolment if this was the first code."""
    now = now or utc_now()
    staff.failed_sign_ins = 0
    staff.locked_until = None
    if staff.totp_enrolled_at is None:
        staff.totp_enrolled_at = now
        audit.record(session, audit.SECOND_FACTOR_ENROLLED, staff_id=staff.id, now=now)
    audit.record(session, audit.SIGN_IN, staff_id=staff.id, now=now)
    session.commit()


def sign_out(session: Session, staff: StaffMember, action: str = audit.SIGN_OUT) -> None:
    """End every session of this member (the session id carries the version)."""
    _end_every_session(session, staff)
    audit.record(session, action, staff_id=staff.id)
    session.commit()


def _end_every_session(session: Session, staff: StaffMember) -> None:
    staff.session_version += 1
    staff_sessions.end_all(session, staff.id, utc_now())


def disable(session: Session, staff: StaffMember, by: int | None = None) -> None:
    """No more sign-ins; current sessions end; what they held goes back to the queue."""
    staff.active = False
    _end_every_session(session, staff)
    queue.release_all_held_by(session, staff.id)
    audit.record(session, audit.STAFF_DISABLED, staff_id=by, detail={"member": staff.id})
    session.commit()


def enable(session: Session, staff: StaffMember, by: int | None = None) -> None:
    """A disabled member may sign in again, with their password and security code."""
    if staff.active:
        raise AccountError(f"{staff.name}'s account is already active.")
    staff.active = True
    staff.failed_sign_ins = 0
    staff.locked_until = None
    audit.record(session, audit.STAFF_ENABLED, staff_id=by, detail={"member": staff.id})
    session.commit()


def unlock(
    session: Session, staff: StaffMember, by: int | None = None, now: datetime | None = None
) -> None:
    """End a lock after too many failed sign-ins, before it runs out."""
    now = now or utc_now()
    if not is_locked(staff, now):
        raise AccountError(f"{staff.name}'s account is not locked.")
    staff.locked_until = None
    staff.failed_sign_ins = 0
    audit.record(
        session, audit.ACCOUNT_UNLOCKED, staff_id=by, detail={"member": staff.id}, now=now
    )
    session.commit()


def reset_second_factor(session: Session, staff: StaffMember, by: int | None = None) -> None:
    """The member sets up a new second factor at their next sign-in."""
    staff.totp_secret = None
    staff.totp_enrolled_at = None
    staff.totp_last_step = None
    _end_every_session(session, staff)
    audit.record(session, audit.SECOND_FACTOR_RESET, staff_id=by, detail={"member": staff.id})
    session.commit()


def list_staff(session: Session) -> list[StaffMember]:
    return list(session.scalars(select(StaffMember).order_by(StaffMember.name)))


def active_colleagues(session: Session, staff_id: int) -> list[StaffMember]:
    """Every active member but `staff_id`, by name."""
    query = select(StaffMember).where(StaffMember.active.is_(True), StaffMember.id != staff_id)
    return list(session.scalars(query.order_by(StaffMember.name)))
