"""The staff's second factor: a TOTP authenticator, set up at the first sign-in, whose
each code is accepted once.

Each code costs one of its client's guesses, as a password does
(intake.domain.sign_in_guesses), and the time step a right code belongs to is claimed
by a conditional UPDATE, so a code is never accepted twice, even sent twice at once.
"""

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import or_
from sqlalchemy.orm import Session

from intake.domain import audit, sign_in_guesses, staff_accounts
from intake.domain.clock import utc_now
from intake.domain.crypto import Vault
from intake.models import StaffMember

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def start_enrolment(session: Session, vault: Vault, staff: StaffMember, issuer: str) -> Enrolment:
    """The TOTP secret to scan (made once, kept encrypted until the first code proves it)."""
    if staff.totp_enrolled_at is not None:
        raise staff_accounts.AccountError("The second factor is already set up")
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
    client: sign_in_guesses.Client,
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
    guess = sign_in_guesses.claim_guess(session, staff, client, now)
    if guess is None:
        audit.record(session, action, staff_id=staff.id, detail={"reason": "held back"}, now=now)
        session.commit()
        return False
    step = _matching_step(vault, staff, code, now)
    if step is None:
        sign_in_guesses.register_failure(session, staff, guess, action, "wrong code", now)
        return False
    if not _claim_step(session, staff, step):
        sign_in_guesses.register_failure(session, staff, guess, action, "code used already", now)
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
    claimed = staff_accounts.update_member_if(
        session, staff, [or_(last.is_(None), last < step)], totp_last_step=step
    )
    session.commit()
    session.refresh(staff)
    return claimed
