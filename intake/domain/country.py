"""Emergency and support numbers for the country the service runs in."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PhoneLine:
    name: str
    number: str
    when_to_call: str
    e164: str | None = None

    @property
    def tel(self) -> str:
        """The tel: link: E.164 where we know it, else the short number's digits."""
        return "tel:" + (self.e164 or "".join(ch for ch in self.number if ch.isdigit()))


@dataclass(frozen=True)
class CountryProfile:
    code: str
    emergency: PhoneLine
    support: tuple[PhoneLine, ...] = ()


SAMARITANS = PhoneLine("Samaritans", "116 123", "to talk to someone, free, day or night")

PROFILES: dict[str, CountryProfile] = {
    "GB": CountryProfile(
        "GB",
        PhoneLine("Emergency services", "999", "if someone is in danger or their life is at risk"),
        (
            PhoneLine("NHS 111", "111", "for urgent medical help that is not an emergency"),
            SAMARITANS,
        ),
    ),
    "IE": CountryProfile(
        "IE",
        PhoneLine("Emergency services", "112", "if someone is in danger (999 also works)"),
        (SAMARITANS,),
    ),
    "US": CountryProfile(
        "US",
        PhoneLine("Emergency services", "911", "if someone is in danger or their life is at risk"),
        (PhoneLine("988 Lifeline", "988", "call or text for a mental health or suicide crisis"),),
    ),
    "CA": CountryProfile(
        "CA",
        PhoneLine("Emergency services", "911", "if someone is in danger or their life is at risk"),
        (PhoneLine("988 Suicide Crisis Helpline", "988", "call or text, any time"),),
    ),
    "AU": CountryProfile(
        "AU",
        PhoneLine("Emergency services", "000", "if someone is in danger or their life is at risk"),
        (PhoneLine("Lifeline", "13 11 14", "for crisis support, any time"),),
    ),
}

FALLBACK = CountryProfile(
    "ZZ",
    PhoneLine(
        "Emergency services",
        "112",
        "if someone is in danger: 112 works from most mobile phones; "
        "your local emergency number works too",
    ),
)


def profile_for(country_code: str) -> CountryProfile:
    """The profile for an ISO country code, or a general one we have no data for."""
    return PROFILES.get(country_code.upper(), FALLBACK)
