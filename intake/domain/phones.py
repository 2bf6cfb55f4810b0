"""Phone numbers: parsed with phonenumbers, stored in E.164, shown masked."""

import phonenumbers

MAX_PHONE_INPUT = 40


class InvalidPhone(ValueError):
    """The text is not a phone number we could call."""


def parse_phone(text: str, region: str) -> str:
    """Return the number in E.164, reading national formats for `region`."""
    if len(text) > MAX_PHONE_INPUT:
        raise InvalidPhone("too long")
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(str(error)) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def example_mobile(region: str) -> tuple[str, str] | None:
    """A mobile number of `region` as written at home and from abroad, for a hint:
    ('07400 123456', '+44 7400 123456'); None where phonenumbers has no example."""
    number = phonenumbers.example_number_for_type(
        region.upper(), phonenumbers.PhoneNumberType.MOBILE
    )
    if number is None:
        return None
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    )


def phone_ending(e164: str) -> str:
    """The last four digits, enough for a visitor to recognise their number."""
    return e164[-4:]


def display_phone(e164: str, region: str) -> str:
    """National format for numbers in `region`, international for the rest."""
    number = phonenumbers.parse(e164, None)
    if phonenumbers.region_code_for_number(number) == region.upper():
        style = phonenumbers.PhoneNumberFormat.NATIONAL
    else:
        style = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
