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
    phrase, whole in itself, for help that cannot wait but is not an emergency (pages
    never put "call a doctor or" before it); `poison_advice` is what to do about a
    possible overdose by someone who feels well, where the country has a poisons line;
    `crisis_line` names a free line to talk to when someone has thoughts of suicide.

    Advice that only holds in one country (the NHS, GPs, FRANK, the ICO) sits in the
    page files inside `::: GB` blocks, chosen by `code` (see `intake.pages`).
    """

    code: str
    emergency: PhoneLine
    support: tuple[PhoneLine, ...] = ()
    hospital: str = "the nearest hospital emergency department"
    urgent_advice: str = "call your doctor or a local medical helpline"
    crisis_line: str = "a local crisis line"
    poison_line: PhoneLine | None = None
    # How the form names a phone number of the country.
    number_words: str = "a local number"

    @property
    def poison_advice(self) -> str:
        if self.poison_line is None:
            return self.urgent_advice
        line = self.poison_line
        return f"call {line.name} on {line.number} ({line.when_to_call})"

    @property
    def page_values(self) -> dict[str, str]:
        """The placeholders health pages use: `$emergency_number` and the rest.

        `$Urgent_advice` and `$Poison_advice` are the same words to start a sentence."""
        return {
            "country_code": self.code,
            "emergency_number": self.emergency.number,
            "emergency_place": self.hospital,
            "urgent_advice": self.urgent_advice,
            "Urgent_advice": _sentence_start(self.urgent_advice),
            "poison_advice": self.poison_advice,
            "Poison_advice": _sentence_start(self.poison_advice),
            "crisis_line": self.crisis_line,
        }


def _sentence_start(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


SAMARITANS = PhoneLine("Samaritans", "116 123", "to talk to someone, free, day or night")
US_POISON_CONTROL = PhoneLine("Poison Control", "1-800-222-1222", "free, any time", "+18002221222")
AU_POISONS_LINE = PhoneLine("the Poisons Information Centre", "13 11 26", "any time")

PROFILES: dict[str, CountryProfile] = {
    "GB": CountryProfile(
        "GB",
        PhoneLine("Emergency services", "999", "if someone is in danger or their life is at risk"),
        (
            PhoneLine(
                "NHS 111; NHS 24 in Scotland",
                "111",
                "for urgent medical help that is not an emergency "
                "(Northern Ireland has no 111 line: call your GP or GP out-of-hours service)",
            ),
            SAMARITANS,
        ),
        number_words="a UK number",
        hospital="A&E",
        # NHS 111 in England and Wales, NHS 24 on 111 in Scotland; Northern Ireland has
        # no NHS 111 line, so its GP out-of-hours service is named beside it.
        urgent_advice="call NHS 111, or your GP out-of-hours service in Northern Ireland",
        crisis_line="Samaritans on 116 123 (free, day or night)",
    ),
    "IE": CountryProfile(
        "IE",
        PhoneLine("Emergency services", "112", "if someone is in danger (999 also works)"),
        (SAMARITANS,),
        number_words="an Irish number",
        hospital="the emergency department (A&E)",
        urgent_advice="call your GP or GP out-of-hours service",
        crisis_line="Samaritans on 116 123 (free, day or night)",
    ),
    "US": CountryProfile(
        "US",
        PhoneLine("Emergency services", "911", "if someone is in danger or their life is at risk"),
        (
            PhoneLine("988 Lifeline", "988", "call or text for a mental health or suicide crisis"),
            US_POISON_CONTROL,
        ),
        number_words="a US number",
        hospital="the emergency room",
        urgent_advice="call your doctor or go to an urgent care clinic",
        crisis_line="the 988 Lifeline (call or text 988, any time)",
        poison_line=US_POISON_CONTROL,
    ),
    "CA": CountryProfile(
        "CA",
        PhoneLine("Emergency services", "911", "if someone is in danger or their life is at risk"),
        (PhoneLine("988 Suicide Crisis Helpline", "988", "call or text, any time"),),
        number_words="a Canadian number",
        hospital="the emergency department",
        urgent_advice="call your doctor or your provincial health line (811 in most provinces)",
        crisis_line="the 988 Suicide Crisis Helpline (call or text 988, any time)",
    ),
    "AU": CountryProfile(
        "AU",
        PhoneLine("Emergency services", "000", "if someone is in danger or their life is at risk"),
        (
            PhoneLine("Lifeline", "13 11 14", "for crisis support, any time"),
            AU_POISONS_LINE,
        ),
        number_words="an Australian number",
        hospital="the emergency department",
        urgent_advice="call your doctor or healthdirect on 1800 022 222",
        crisis_line="Lifeline on 13 11 14 (any time)",
        poison_line=AU_POISONS_LINE,
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
