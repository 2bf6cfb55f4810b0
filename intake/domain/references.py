"""Request references: short, unguessable, and easy to read out on the phone."""

import re
import secrets

# No 0/O, 1/I/L or U: nothing a caller could misread or mishear.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
HALF = 4
PATTERN = re.compile(rf"^[{ALPHABET}]{{{HALF}}}-[{ALPHABET}]{{{HALF}}}$")


def new_reference() -> str:
    """A reference like K7QM-4Z2P: 30^8 (about 6.6 x 10^11) possibilities."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(2 * HALF))
    return f"{chars[:HALF]}-{chars[HALF:]}"


def normalise_reference(text: str) -> str | None:
    """Read a reference typed in any case, with or without the hyphen or spaces."""
    compact = re.sub(r"[\s-]", "", text).upper()
    candidate = f"{compact[:HALF]}-{compact[HALF:]}"
    return candidate if PATTERN.match(candidate) else None
