"""Country and language names as people write them, mapped to ISO codes."""

from __future__ import annotations

import unicodedata

# ISO alpha-2: alpha-3, then names in English, French and the local language
_COUNTRIES: dict[str, tuple[str, ...]] = {
    "FR": ("FRA", "France", "République française", "Frankreich", "Francia"),
    "BE": ("BEL", "Belgium", "Belgique", "België", "Belgie", "Belgien", "Bélgica"),
    "CH": ("CHE", "Switzerland", "Suisse", "Schweiz", "Svizzera", "Suiza"),
    "DE": ("DEU", "Germany", "Allemagne", "Deutschland", "Alemania", "Germania"),
    "GB": (
        "GBR",
        "UK",
        "United Kingdom",
        "Great Britain",
        "Royaume-Uni",
        "Angleterre",
        "England",
        "Scotland",
        "Wales",
        "Grande-Bretagne",
        "Britain",
    ),
    "ES": ("ESP", "Spain", "Espagne", "España", "Espana", "Spanien"),
    "IT": ("ITA", "Italy", "Italie", "Italia", "Italien"),
    "PT": ("PRT", "Portugal"),
    "NL": ("NLD", "Netherlands", "Pays-Bas", "Nederland", "Holland", "Hollande", "Niederlande"),
    "LU": ("LUX", "Luxembourg", "Luxemburg", "Lëtzebuerg"),
    "AT": ("AUT", "Austria", "Autriche", "Österreich", "Osterreich"),
    "IE": ("IRL", "Ireland", "Irlande", "Éire"),
    "DK": ("DNK", "Denmark", "Danemark", "Danmark"),
    "SE": ("SWE", "Sweden", "Suède", "Sverige"),
    "FI": ("FIN", "Finland", "Finlande", "Suomi"),
    "NO": ("NOR", "Norway", "Norvège", "Norge"),
    "IS": ("ISL", "Iceland", "Islande"),
    "PL": ("POL", "Poland", "Pologne", "Polska"),
    "CZ": ("CZE", "Czechia", "Czech Republic", "République tchèque", "Tchéquie", "Česko"),
    "SK": ("SVK", "Slovakia", "Slovaquie", "Slovensko"),
    "HU": ("HUN", "Hungary", "Hongrie", "Magyarország"),
    "SI": ("SVN", "Slovenia", "Slovénie", "Slovenija"),
    "HR": ("HRV", "Croatia", "Croatie", "Hrvatska"),
    "RO": ("ROU", "Romania", "Roumanie", "România"),
    "BG": ("BGR", "Bulgaria", "Bulgarie"),
    "GR": ("GRC", "Greece", "Grèce", "Ελλάδα", "Hellas"),
    "CY": ("CYP", "Cyprus", "Chypre"),
    "MT": ("MLT", "Malta", "Malte"),
    "EE": ("EST", "Estonia", "Estonie", "Eesti"),
    "LV": ("LVA", "Latvia", "Lettonie", "Latvija"),
    "LT": ("LTU", "Lithuania", "Lituanie", "Lietuva"),
    "MC": ("MCO", "Monaco"),
    "AD": ("AND", "Andorra", "Andorre"),
    "US": (
        "USA",
        "United States",
        "United States of America",
        "États-Unis",
        "Etats-Unis",
        "America",
        "Amérique",
        "US of A",
    ),
    "CA": ("CAN", "Canada"),
    "MA": ("MAR", "Morocco", "Maroc"),
    "DZ": ("DZA", "Algeria", "Algérie"),
    "TN": ("TUN", "Tunisia", "Tunisie"),
    "SN": ("SEN", "Senegal", "Sénégal"),
    "CI": ("CIV", "Ivory Coast", "Côte d'Ivoire", "Cote d'Ivoire"),
    "TR": ("TUR", "Turkey", "Turquie", "Türkiye"),
    "CN": ("CHN", "China", "Chine"),
    "JP": ("JPN", "Japan", "Japon"),
    "BR": ("BRA", "Brazil", "Brésil", "Brasil"),
    "AU": ("AUS", "Australia", "Australie"),
    "IN": ("IND", "India", "Inde"),
    "RU": ("RUS", "Russia", "Russie"),
    "UA": ("UKR", "Ukraine"),
    "IL": ("ISR", "Israel", "Israël"),
    "MX": ("MEX", "Mexico", "Mexique", "México"),
}

_LANGUAGES: dict[str, tuple[str, ...]] = {
    "fr": ("fra", "fre", "French", "Français", "Francais", "Französisch"),
    "en": ("eng", "English", "Anglais", "Englisch"),
    "de": ("deu", "ger", "German", "Allemand", "Deutsch"),
    "es": ("spa", "Spanish", "Espagnol", "Español", "Castellano"),
    "it": ("ita", "Italian", "Italien", "Italiano"),
    "nl": ("nld", "dut", "Dutch", "Néerlandais", "Nederlands", "Flemish", "Flamand"),
    "pt": ("por", "Portuguese", "Portugais", "Português"),
    "ar": ("ara", "Arabic", "Arabe"),
    "pl": ("pol", "Polish", "Polonais", "Polski"),
    "zh": ("zho", "chi", "Chinese", "Chinois"),
    "ja": ("jpn", "Japanese", "Japonais"),
    "ru": ("rus", "Russian", "Russe"),
    "tr": ("tur", "Turkish", "Turc"),
    "lb": ("ltz", "Luxembourgish", "Luxembourgeois"),
}


def _key(raw: str) -> str:
    decomposed = unicodedata.normalize("NFKD", raw.strip().lower())
    return "".join(c for c in decomposed if c.isalnum() or c == " ").strip()


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_key(alias): code for code, names in table.items() for alias in (code, *names)}


COUNTRY_ALIASES: dict[str, str] = _aliases(_COUNTRIES)
LANGUAGE_ALIASES: dict[str, str] = _aliases(_LANGUAGES)
