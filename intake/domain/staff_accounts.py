"""Staff accounts, from being added to being disabled: roles, signing in and out,
changing and choosing passwords, a supervisor's reset, enabling, unlocking, and
the colleagues a member works with.

Passwords are hashed and judged in intake.domain.passwords, wrong guesses are
counted and held back in intake.domain.sign_in_guesses, and the TOTP second factor
is intake.domain.second_factor.
"""

from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.domain import audit, passwords, queue, sign_in_guesses, staff_sessions
from intake.domain.clock import utc_now
from intake.models import StaffMember, StaffSession

AGENT = "agent"
SUPERVISOR = "supervisor"
ROLES = (AGENT, SUPERVISOR)


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
    problem = passwords.password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(problem)
    staff = StaffMember(
        email=email, name=name, role=role, password_hash=passwords.hash_password(password)
    )
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
    temporary = passwords.temporary_password()
    staff = StaffMember(
        email=email,
        name=name,
        role=role,
        password_hash=passwords.hash_password(temporary),
        password_change_required=True,
        temporary_password_expires_at=now + passwords.TEMPORARY_PASSWORD_LIFETIME,
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
    session: Session,
    email: str,
    password: str,
    origin: sign_in_guesses.Origin,
    now: datetime | None = None,
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
        passwords.spend_a_check(password)
        audit.record(
            session,
            audit.SIGN_IN_FAILED,
            staff_id=staff.id if staff else None,
            detail={"reason": guess},
            now=now,
        )
        session.commit()
        return None
    if not passwords.verify_password(staff.password_hash, password):
        sign_in_guesses.register_failure(
            session, staff, guess, audit.SIGN_IN_FAILED, "wrong password", now
        )
        return None
    sign_in_guesses.give_back_guess(session, staff, guess)
    if _temporary_password_expired(staff, now):
        detail = {"reason": "temporary password expired"}
        audit.record(session, audit.SIGN_IN_FAILED, staff_id=staff.id, detail=detail, now=now)
        session.commit()
        return None
    if passwords.needs_rehash(staff.password_hash):
        staff.password_hash = passwords.hash_password(password)
        session.commit()
    return staff


def _temporary_password_expired(staff: StaffMember, now: datetime) -> bool:
    expires = staff.temporary_password_expires_at
    return staff.password_change_required and (expires is None or expires <= now)


def _claim_or_refusal(
    session: Session, staff: StaffMember | None, origin: sign_in_guesses.Origin, now: datetime
) -> sign_in_guesses.Guess | str:
    """A guess claimed for this sign-in's client, or why the password is not checked."""
    if staff is None:
        return "unknown"
    if not staff.active:
        return "disabled"
    return sign_in_guesses.claim_guess(session, staff, origin.client_for(staff), now) or "held back"


def update_member_if(session: Session, staff: StaffMember, conditions: list, **values) -> bool:
    """One conditional UPDATE of this member's row; whether it changed the row."""
    statement = (
        update(StaffMember)
        .where(StaffMember.id == staff.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1


def complete_sign_in(
    session: Session,
    staff: StaffMember,
    now: datetime | None = None,
    client: sign_in_guesses.Client | None = None,
) -> None:
    """Both factors passed: the client's count starts again, and enrolment finishes if
    this was the first code; commits."""
    now = now or utc_now()
    if client is not None:
        sign_in_guesses.forget_client_guesses(session, staff, client)
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
    client: sign_in_guesses.Client | None = None,
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
        client = sign_in_guesses.Client.in_session(keep)
    guess = sign_in_guesses.claim_guess(session, staff, client, now)
    if guess is None:
        _refuse_change(session, staff, "held back", now)
        raise WrongPassword(TOO_MANY_GUESSES)
    checked = staff.password_hash
    if not passwords.verify_password(checked, current):
        action = audit.PASSWORD_CHANGE_FAILED
        sign_in_guesses.register_failure(session, staff, guess, action, "wrong password", now)
        raise WrongPassword("Your current password is not right")
    sign_in_guesses.give_back_guess(session, staff, guess)
    if new == current:
        raise AccountError("Choose a new password, not the one you have now")
    _check_strength(staff, new)
    replaced = update_member_if(
        session,
        staff,
        [StaffMember.password_hash == checked],
        password_hash=passwords.hash_password(new),
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
    problem = passwords.password_problem(password, email=staff.email, name=staff.name)
    if problem:
        raise AccountError(problem)


def choose_new_password(
    session: Session, staff: StaffMember, password: str, now: datetime | None = None
) -> None:
    """After a supervisor's reset, the member replaces the temporary password with one
    of their own (once: a conditional UPDATE, so two tabs cannot both do it); commits."""
    now = now or utc_now()
    _check_strength(staff, password)
    if passwords.verify_password(staff.password_hash, password):
        raise AccountError("Choose your own password, not the temporary one")
    if not update_member_if(
        session,
        staff,
        [StaffMember.password_change_required.is_(True)],
        password_hash=passwords.hash_password(password),
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
    sign_in_guesses.forget_all_guesses(session, staff)
    audit.record(session, audit.STAFF_ENABLED, staff_id=by, detail={"member": staff.id})
    session.commit()


def unlock(
    session: Session, staff: StaffMember, by: int | None = None, now: datetime | None = None
) -> None:
    """Lift every hold on the member's sign-in before it runs out, from every address
    and device, and start every count again; commits."""
    now = now or utc_now()
    if staff.id not in sign_in_guesses.held_back(session, now):
        raise AccountError(f"{staff.name} is not held back from signing in anywhere.")
    sign_in_guesses.forget_all_guesses(session, staff)
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
    temporary = passwords.temporary_password()
    staff.password_hash = passwords.hash_password(temporary)
    staff.password_change_required = True
    staff.temporary_password_expires_at = now + passwords.TEMPORARY_PASSWORD_LIFETIME
    staff.totp_secret = None
    staff.totp_enrolled_at = None
    staff.totp_last_step = None
    sign_in_guesses.forget_all_guesses(session, staff)
    _end_every_session(session, staff)
    audit.record(session, audit.SIGN_IN_RESET, staff_id=by, detail={"member": staff.id}, now=now)
    session.commit()
    return temporary


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
