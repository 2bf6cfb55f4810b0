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
    """A country's emergency numbers, and the words health pages use for them.

    `hospital` is where to go in an emergency ("A&E"); `urgent_advice` is a verb
    phrase for help that cannot wait but is not an emergency; `crisis_line` names a
    free line to talk to when someone has thoughts of suicide.
    """

    code: str
    emergency: PhoneLine
    support: tuple[PhoneLine, ...] = ()
    hospital: str = "the nearest hospital emergency department"
    urgent_advice: str = "call a doctor or a local medical helpline"
    crisis_line: str = "a local crisis line"

    @property
    def page_values(self) -> dict[str, str]:
        """The placeholders health pages use: `$emergency_number` and the rest."""
        return {
            "emergency_number": self.emergency.number,
            "emergency_place": self.hospital,
            "urgent_advice": self.urgent_advice,
            "crisis_line": self.crisis_line,
        }


SAMARITANS = PhoneLine("Samaritans", "116 123", "to talk to someone, free, day or night")

PROFILES: dict[str, CountryProfile] = {
    "GB": CountryProfile(
        "GB",
        PhoneLine("Emergency services", "999", "if someone is in danger or their life is at risk"),
        (
            PhoneLine("NHS 111", "111", "for urgent medical help that is not an emergency"),
            SAMARITANS,
        ),
        hospital="A&E",
        urgent_advice="call NHS 111",
        crisis_line="Samaritans on 116 123 (free, day or night)",
    ),
    "IE": CountryProfile(
        "IE",
        PhoneLine("Emergency services", "112", "if someone is in danger (999 also works)"),
        (SAMARITANS,),
        hospital="the emergency department (A&E)",
        urgent_advice="call your GP or GP out-of-hours service",
        crisis_line="Samaritans on 116 123 (free, day or night)",
    ),
    "US": CountryProfile(
        "US",
        PhoneLine("Emergency services", "911", "if someone is in danger or their life is at risk"),
        (PhoneLine("988 Lifeline", "988", "call or text for a mental health or suicide crisis"),),
        hospital="the emergency room",
        urgent_advice="call your doctor or an urgent care clinic",
        crisis_line="the 988 Lifeline (call or text 988, any time)",
    ),
    "CA": CountryProfile(
        "CA",
        PhoneLine("Emergency services", "911", "if someone is in danger or their life is at risk"),
        (PhoneLine("988 Suicide Crisis Helpline", "988", "call or text, any time"),),
        hospital="the emergency department",
        urgent_advice="call your doctor or your provincial health line (811 in most provinces)",
        crisis_line="the 988 Suicide Crisis Helpline (call or text 988, any time)",
    ),
    "AU": CountryProfile(
        "AU",
        PhoneLine("Emergency services", "000", "if someone is in danger or their life is at risk"),
        (PhoneLine("Lifeline", "13 11 14", "for crisis support, any time"),),
        hospital="the emergency department",
        urgent_advice="call healthdirect on 1800 022 222",
        crisis_line="Lifeline on 13 11 14 (any time)",
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
