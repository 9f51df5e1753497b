"""The demo's vocabulary: names, streets, cities, countries and the small word lists.

First names, last names and street names live in ``data/*.txt`` (one word per line,
prefixed by its culture, most frequent first); places and the short lists below are
plain constants. Everything here is read-only data: the generator draws from it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

#: name cultures, in the order their index is stored
CULTURES: tuple[str, ...] = ("fr", "nl", "de", "en", "es")
#: the language written in a person's record, per culture
LANGUAGES: tuple[str, ...] = CULTURES


@dataclass(frozen=True)
class WordList:
    """Words of one kind (first names, last names, streets), grouped by culture."""

    words: tuple[str, ...]
    #: culture index of each word
    culture: npt.NDArray[np.int64]
    #: 0 male, 1 female (first names), -1 otherwise
    gender: npt.NDArray[np.int64]

    def group(self, culture: int, gender: int = -1) -> npt.NDArray[np.int64]:
        """Indices of the words of one culture (and gender), most frequent first."""
        mask = self.culture == culture
        if gender >= 0:
            mask &= self.gender == gender
        return np.flatnonzero(mask).astype(np.int64)

    def folded(self) -> tuple[str, ...]:
        """The words without accents (Hélène -> Helene)."""
        return tuple(ascii_fold(w) for w in self.words)

    def slugs(self) -> tuple[str, ...]:
        """Lower-case ASCII forms usable in e-mail addresses (Le Gall -> legall)."""
        return tuple(slug(w) for w in self.words)


def ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slug(text: str) -> str:
    return "".join(c for c in ascii_fold(text).lower() if c.isalnum() or c == "-")


def _read(name: str, gendered: bool) -> WordList:
    text = resources.files("personae.demo").joinpath("data", name).read_text(encoding="utf-8")
    words: list[str] = []
    cultures: list[int] = []
    genders: list[int] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        culture, _, rest = line.partition(" ")
        gender = -1
        if gendered:
            flag, _, rest = rest.partition(" ")
            gender = 1 if flag == "F" else 0
        words.append(rest.strip())
        cultures.append(CULTURES.index(culture))
        genders.append(gender)
    return WordList(
        words=tuple(words),
        culture=np.array(cultures, dtype=np.int64),
        gender=np.array(genders, dtype=np.int64),
    )


@cache
def first_names() -> WordList:
    return _read("first_names.txt", gendered=True)


@cache
def last_names() -> WordList:
    return _read("last_names.txt", gendered=False)


@cache
def streets() -> WordList:
    return _read("streets.txt", gendered=False)


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class City:
    country: str
    name: str
    postcodes: tuple[str, ...]
    #: relative population
    weight: float
    #: culture of the people living there (index into CULTURES by code)
    culture: str = "fr"
    #: French landline zone (01 Île-de-France … 05 south-west); 0 abroad
    zone: int = 0


def _range(first: int, count: int, width: int = 5, step: int = 1) -> tuple[str, ...]:
    return tuple(str(first + i * step).zfill(width) for i in range(count))


FR_CITIES: tuple[City, ...] = (
    City("FR", "Paris", _range(75001, 20), 2100, zone=1),
    City("FR", "Marseille", _range(13001, 16), 870, zone=4),
    City("FR", "Lyon", _range(69001, 9), 520, zone=4),
    City("FR", "Toulouse", _range(31000, 6, step=100), 490, zone=5),
    City("FR", "Nice", _range(6000, 4, step=100), 340, zone=4),
    City("FR", "Nantes", _range(44000, 4, step=100), 320, zone=2),
    City("FR", "Montpellier", ("34000", "34070", "34080", "34090"), 300, zone=4),
    City("FR", "Strasbourg", ("67000", "67100", "67200"), 290, zone=3),
    City("FR", "Bordeaux", ("33000", "33100", "33200", "33300", "33800"), 260, zone=5),
    City("FR", "Lille", ("59000", "59160", "59260", "59800"), 235, zone=3),
    City("FR", "Rennes", ("35000", "35200", "35700"), 220, zone=2),
    City("FR", "Reims", ("51100",), 180, zone=3),
    City("FR", "Toulon", ("83000", "83100", "83200"), 180, zone=4),
    City("FR", "Saint-Étienne", ("42000", "42100"), 175, zone=4),
    City("FR", "Le Havre", ("76600", "76610", "76620"), 165, zone=2),
    City("FR", "Grenoble", ("38000", "38100"), 160, zone=4),
    City("FR", "Dijon", ("21000",), 160, zone=3),
    City("FR", "Angers", ("49000", "49100"), 155, zone=2),
    City("FR", "Nîmes", ("30000", "30900"), 150, zone=4),
    City("FR", "Villeurbanne", ("69100",), 150, zone=4),
    City("FR", "Clermont-Ferrand", ("63000", "63100"), 145, zone=4),
    City("FR", "Le Mans", ("72000", "72100"), 145, zone=2),
    City("FR", "Aix-en-Provence", ("13090", "13100"), 145, zone=4),
    City("FR", "Brest", ("29200",), 140, zone=2),
    City("FR", "Tours", ("37000", "37100", "37200"), 135, zone=2),
    City("FR", "Amiens", ("80000", "80080", "80090"), 135, zone=3),
    City("FR", "Limoges", ("87000", "87100", "87280"), 130, zone=5),
    City("FR", "Annecy", ("74000",), 130, zone=4),
    City("FR", "Perpignan", ("66000", "66100"), 120, zone=4),
    City("FR", "Boulogne-Billancourt", ("92100",), 120, zone=1),
    City("FR", "Metz", ("57000", "57050", "57070"), 120, zone=3),
    City("FR", "Besançon", ("25000",), 120, zone=3),
    City("FR", "Orléans", ("45000", "45100"), 117, zone=2),
    City("FR", "Saint-Denis", ("93200",), 113, zone=1),
    City("FR", "Argenteuil", ("95100",), 111, zone=1),
    City("FR", "Rouen", ("76000", "76100"), 111, zone=2),
    City("FR", "Mulhouse", ("68100", "68200"), 108, zone=3),
    City("FR", "Montreuil", ("93100",), 110, zone=1),
    City("FR", "Caen", ("14000",), 106, zone=2),
    City("FR", "Nancy", ("54000", "54100"), 104, zone=3),
    City("FR", "Tourcoing", ("59200",), 98, zone=3),
    City("FR", "Roubaix", ("59100",), 98, zone=3),
    City("FR", "Nanterre", ("92000",), 96, zone=1),
    City("FR", "Vitry-sur-Seine", ("94400",), 95, zone=1),
    City("FR", "Avignon", ("84000",), 91, zone=4),
    City("FR", "Créteil", ("94000",), 92, zone=1),
    City("FR", "Poitiers", ("86000",), 89, zone=5),
    City("FR", "Aubervilliers", ("93300",), 88, zone=1),
    City("FR", "Versailles", ("78000",), 85, zone=1),
    City("FR", "Pau", ("64000",), 77, zone=5),
    City("FR", "Colombes", ("92700",), 86, zone=1),
    City("FR", "La Rochelle", ("17000",), 77, zone=5),
    City("FR", "Calais", ("62100",), 67, zone=3),
    City("FR", "Cannes", ("06400",), 74, zone=4),
    City("FR", "Béziers", ("34500",), 78, zone=4),
    City("FR", "Bourges", ("18000",), 64, zone=2),
    City("FR", "Quimper", ("29000",), 63, zone=2),
    City("FR", "Valence", ("26000",), 64, zone=4),
    City("FR", "Troyes", ("10000",), 61, zone=3),
    City("FR", "Chambéry", ("73000",), 60, zone=4),
    City("FR", "Niort", ("79000",), 59, zone=5),
    City("FR", "Lorient", ("56100",), 57, zone=2),
    City("FR", "Vannes", ("56000",), 54, zone=2),
    City("FR", "Saint-Malo", ("35400",), 47, zone=2),
    City("FR", "Ajaccio", ("20000", "20090"), 72, zone=4),
    City("FR", "Bayonne", ("64100",), 52, zone=5),
    City("FR", "Évry-Courcouronnes", ("91000",), 67, zone=1),
    City("FR", "Saint-Nazaire", ("44600",), 72, zone=2),
    City("FR", "Colmar", ("68000",), 68, zone=3),
    City("FR", "Angoulême", ("16000",), 42, zone=5),
)

ABROAD_CITIES: tuple[City, ...] = (
    City("BE", "Bruxelles", ("1000", "1050", "1060", "1180"), 1200),
    City("BE", "Liège", ("4000", "4020"), 200),
    City("BE", "Charleroi", ("6000",), 200),
    City("BE", "Namur", ("5000",), 110),
    City("BE", "Antwerpen", ("2000", "2018", "2060"), 530, culture="nl"),
    City("BE", "Gent", ("9000", "9050"), 260, culture="nl"),
    City("BE", "Brugge", ("8000",), 120, culture="nl"),
    City("CH", "Genève", ("1201", "1202", "1205", "1207"), 200),
    City("CH", "Lausanne", ("1003", "1004", "1005"), 140),
    City("CH", "Fribourg", ("1700",), 40),
    City("CH", "Neuchâtel", ("2000",), 45),
    City("CH", "Zürich", ("8001", "8002", "8004"), 420, culture="de"),
    City("CH", "Basel", ("4051", "4052"), 175, culture="de"),
    City("CH", "Bern", ("3011", "3012"), 135, culture="de"),
    City("DE", "Berlin", ("10115", "10117", "10178", "10243"), 3600, culture="de"),
    City("DE", "Hamburg", ("20095", "20097"), 1800, culture="de"),
    City("DE", "München", ("80331", "80333", "80335"), 1500, culture="de"),
    City("DE", "Köln", ("50667", "50668"), 1080, culture="de"),
    City("DE", "Frankfurt am Main", ("60311", "60313"), 750, culture="de"),
    City("DE", "Stuttgart", ("70173", "70174"), 630, culture="de"),
    City("DE", "Saarbrücken", ("66111",), 180, culture="de"),
    City("GB", "London", ("SW1A 1AA", "EC1A 1BB", "W1A 0AX", "N1 9GU", "SE1 7PB"), 8900, "en"),
    City("GB", "Manchester", ("M1 1AE", "M2 5DB"), 550, culture="en"),
    City("GB", "Birmingham", ("B1 1BB", "B2 4QA"), 1100, culture="en"),
    City("GB", "Edinburgh", ("EH1 1YZ", "EH2 2ER"), 520, culture="en"),
    City("GB", "Bristol", ("BS1 4DJ",), 470, culture="en"),
    City("ES", "Madrid", ("28001", "28004", "28013"), 3300, culture="es"),
    City("ES", "Barcelona", ("08001", "08002", "08008"), 1600, culture="es"),
    City("ES", "Valencia", ("46001", "46002"), 800, culture="es"),
    City("ES", "Sevilla", ("41001", "41004"), 690, culture="es"),
    City("ES", "Málaga", ("29001", "29005"), 580, culture="es"),
    City("ES", "Bilbao", ("48001",), 345, culture="es"),
)

CITIES: tuple[City, ...] = FR_CITIES + ABROAD_CITIES


def words(text: str) -> tuple[str, ...]:
    """``"a b c"`` -> ``("a", "b", "c")``."""
    return tuple(text.split())


def weighted(text: str) -> tuple[tuple[str, float], ...]:
    """``"France 50 | FR 25"`` -> ``(("France", 50.0), ("FR", 25.0))``."""
    pairs = (item.strip().rsplit(" ", 1) for item in text.split("|"))
    return tuple((word, float(weight)) for word, weight in pairs)


@dataclass(frozen=True)
class Country:
    code: str
    #: share of the demo's people living there
    share: float
    dial: str
    #: national trunk prefix ('' when none)
    trunk: str
    #: leading digits of mobile numbers, all of the same length
    mobile_prefixes: tuple[str, ...]
    #: digits of a national significant number
    digits: int
    #: the national way to write a number, one 'X' per digit of the significant number
    national: str
    #: the international way, with spaces
    international: str
    #: how people write the country, with weights
    spellings: tuple[tuple[str, float], ...]
    #: e-mail providers people use there, with weights
    email_domains: tuple[tuple[str, float], ...]


# fmt: off
COUNTRIES: tuple[Country, ...] = (
    Country(
        "FR", 0.92, "33", "0", words("60 61 62 64 65 66 67 68 73 74 75 76 77 78 79"),
        9, "0X XX XX XX XX", "+33 X XX XX XX XX",
        weighted("France 50 | FR 25 | FRANCE 15 | france 6 | Fr 4"),
        weighted("gmail.com 30 | orange.fr 14 | hotmail.fr 10 | free.fr 9 | yahoo.fr 6 | sfr.fr 6"
                 "| laposte.net 5 | outlook.fr 5 | hotmail.com 4 | wanadoo.fr 4 | icloud.com 4"
                 "| outlook.com 3"),
    ),
    Country(
        "BE", 0.025, "32", "0",
        words("470 471 472 473 475 476 477 478 479 484 485 486 487 488 489 491 492 493 494 495"
              " 496 497 498 499"),
        9, "0XXX XX XX XX", "+32 XXX XX XX XX",
        weighted("Belgique 50 | BE 25 | Belgium 15 | BELGIQUE 10"),
        weighted("gmail.com 40 | hotmail.com 20 | skynet.be 15 | telenet.be 15 | outlook.com 10"),
    ),
    Country(
        "CH", 0.02, "41", "0", ("76", "77", "78", "79"),
        9, "0XX XXX XX XX", "+41 XX XXX XX XX",
        weighted("Suisse 50 | CH 25 | Switzerland 15 | Schweiz 10"),
        weighted("gmail.com 40 | bluewin.ch 30 | hotmail.com 15 | gmx.ch 15"),
    ),
    Country(
        "DE", 0.012, "49", "0", ("151", "152", "157", "159", "176"),
        11, "0XXX XXXXXXXX", "+49 XXX XXXXXXXX",
        weighted("Allemagne 50 | DE 25 | Germany 10 | Deutschland 15"),
        weighted("gmail.com 30 | gmx.de 30 | web.de 25 | t-online.de 15"),
    ),
    Country(
        "GB", 0.012, "44", "0", ("74", "75", "79"),
        10, "0XXXX XXXXXX", "+44 XXXX XXXXXX",
        weighted("Royaume-Uni 45 | UK 25 | GB 10 | United Kingdom 20"),
        weighted("gmail.com 40 | hotmail.co.uk 20 | yahoo.co.uk 15 | outlook.com 15"
                 "| btinternet.com 10"),
    ),
    Country(
        "ES", 0.011, "34", "", words("60 61 62 63 64 65 66 67 68 69"),
        9, "XXX XXX XXX", "+34 XXX XXX XXX",
        weighted("Espagne 50 | ES 25 | Spain 10 | España 15"),
        weighted("gmail.com 45 | hotmail.es 25 | yahoo.es 15 | outlook.es 15"),
    ),
)
# fmt: on

COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)

#: French landlines start with their zone (1-5) and two digits; these belong to overseas
#: departments (0262 Réunion, 0590 Guadeloupe, 0594 Guyane) or are not assigned (040x)
LANDLINE_EXCLUDED_PREFIXES = frozenset(("262", "590", "594", *(f"40{d}" for d in range(10))))

# --------------------------------------------------------------------------- word lists

#: French street types: (written in full, abbreviated, weight)
STREET_TYPES: tuple[tuple[str, str, float], ...] = (
    ("rue", "r.", 55),
    ("avenue", "av.", 12),
    ("boulevard", "bd", 8),
    ("allée", "all.", 6),
    ("chemin", "ch.", 6),
    ("impasse", "imp.", 5),
    ("place", "pl.", 4),
    ("route", "rte", 2),
    ("quai", "q.", 2),
)

#: CRM spellings of gender, per gender (0 male, 1 female)
GENDER_SPELLINGS: tuple[tuple[tuple[str, float], ...], ...] = (
    weighted("M 55 | H 15 | Homme 15 | Monsieur 10 | m 5"),
    weighted("F 55 | Femme 20 | Mme 15 | f 10"),
)

#: second e-mails: employers' domains (fictional), old providers; family e-mails
WORK_DOMAINS = weighted(
    "groupe-horizon.fr 1 | nordis-conseil.fr 1 | batiplus.fr 1 | cabinet-arcades.fr 1"
    "| lumio-energie.fr 1 | transports-delmas.fr 1 | atelier-mistral.fr 1 | soluvia.com 1"
    "| mairie-exemple.fr 1 | clinique-des-tilleuls.fr 1 | agence-cobalt.fr 1 | verdane.com 1"
    "| lycee-exemple.fr 1 | pharmacie-centrale.fr 1 | axelis-group.com 1 | banque-ardente.fr 1"
)
OLD_DOMAINS = weighted(
    "hotmail.fr 25 | wanadoo.fr 20 | yahoo.fr 15 | aol.com 8 | club-internet.fr 8 | neuf.fr 8"
    "| live.fr 8 | voila.fr 4 | caramail.com 4"
)
FAMILY_DOMAINS = weighted("orange.fr 30 | free.fr 25 | gmail.com 25 | sfr.fr 10 | laposte.net 10")

#: identifiers people type when they do not want to give theirs
JUNK_EMAILS: tuple[str, ...] = ("test@test.com", "noemail@gmail.com")
JUNK_PHONES: tuple[str, ...] = ("0000000000", "0123456789")

#: order categories: (name, typical unit price in euros, weight)
CATEGORIES: tuple[tuple[str, float, float], ...] = (
    ("clothing", 45.0, 35),
    ("shoes", 75.0, 20),
    ("accessories", 35.0, 20),
    ("beauty", 25.0, 15),
    ("home", 40.0, 10),
)

#: the style clusters of products and of people's tastes
STYLES: tuple[str, ...] = ("classic", "casual", "chic", "boho", "sport", "cosy")
#: the code of each category in product ids (``P-SHO-014``), in the order of CATEGORIES
CATEGORY_CODES: tuple[str, ...] = ("CLO", "SHO", "ACC", "BEA", "HOM")


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    #: index into CATEGORIES
    category: int
    #: price in euros
    price: float
    #: indices into STYLES: the one or two styles the product belongs to
    styles: tuple[int, ...]


def products(text: str) -> tuple[Product, ...]:
    """``category | name | price | styles`` lines -> products, numbered per category."""
    out: list[Product] = []
    count = [0] * len(CATEGORIES)
    for line in text.strip().splitlines():
        category_name, name, price, styles = (part.strip() for part in line.split("|"))
        category = [c[0] for c in CATEGORIES].index(category_name)
        count[category] += 1
        out.append(
            Product(
                id=f"P-{CATEGORY_CODES[category]}-{count[category]:03d}",
                name=name,
                category=category,
                price=float(price),
                styles=tuple(STYLES.index(s) for s in styles.split()),
            )
        )
    return tuple(out)


#: the shop's catalogue: the main item of an order or a till ticket, and product pages
PRODUCTS = products("""
clothing | Robe en lin bleue | 59 | boho casual
clothing | Robe portefeuille noire | 79 | chic classic
clothing | Chemise blanche en coton | 45 | classic chic
clothing | Chemise en jean | 49 | casual
clothing | Tee-shirt blanc col rond | 15 | casual sport
clothing | Marinière rayée | 35 | classic casual
clothing | Pull en cachemire gris | 119 | chic cosy
clothing | Pull irlandais écru | 69 | cosy classic
clothing | Sweat à capuche chiné | 45 | sport casual
clothing | Jean droit brut | 69 | casual classic
clothing | Jean évasé délavé | 65 | boho casual
clothing | Pantalon de tailleur noir | 85 | chic classic
clothing | Pantalon chino beige | 55 | classic casual
clothing | Legging de sport | 35 | sport
clothing | Jupe plissée midi | 59 | chic boho
clothing | Jupe en jean | 39 | casual
clothing | Blazer en laine marine | 149 | classic chic
clothing | Trench beige | 159 | classic chic
clothing | Doudoune légère | 99 | sport casual
clothing | Manteau en laine camel | 189 | chic classic
clothing | Veste en cuir | 199 | casual chic
clothing | Cardigan en maille | 55 | cosy boho
clothing | Blouse fleurie | 45 | boho
clothing | Kimono imprimé | 49 | boho
clothing | Short de course | 29 | sport
clothing | Brassière de sport | 29 | sport
clothing | Pyjama en flanelle | 45 | cosy
clothing | Chemise en lin | 55 | casual boho
shoes | Baskets blanches en cuir | 89 | casual sport
shoes | Chaussures de course | 109 | sport
shoes | Mocassins en cuir | 119 | classic
shoes | Escarpins noirs | 99 | chic
shoes | Bottines en daim | 129 | boho casual
shoes | Bottes cavalières | 169 | classic chic
shoes | Sandales tressées | 59 | boho
shoes | Espadrilles en toile | 35 | casual boho
shoes | Derbies en cuir | 129 | classic
shoes | Ballerines | 59 | chic classic
shoes | Chaussons en laine | 29 | cosy
shoes | Tennis en toile | 49 | casual
shoes | Chaussures de randonnée | 119 | sport
shoes | Mules à talon | 79 | chic
shoes | Claquettes | 25 | sport casual
shoes | Boots Chelsea | 139 | casual classic
accessories | Sac en cuir camel | 149 | classic chic
accessories | Sac cabas en toile | 35 | casual boho
accessories | Pochette de soirée | 59 | chic
accessories | Sac banane | 29 | sport casual
accessories | Sac à dos en cuir | 129 | casual
accessories | Ceinture en cuir | 39 | classic
accessories | Écharpe en laine | 39 | cosy classic
accessories | Foulard en soie | 59 | chic classic
accessories | Bonnet en maille | 25 | cosy sport
accessories | Gants en cuir | 49 | classic
accessories | Lunettes de soleil | 79 | chic casual
accessories | Montre classique | 149 | classic
accessories | Bracelet jonc doré | 45 | chic
accessories | Collier fantaisie | 29 | boho
accessories | Créoles dorées | 25 | boho chic
accessories | Chapeau de paille | 35 | boho
accessories | Casquette | 25 | sport casual
accessories | Portefeuille en cuir | 59 | classic
accessories | Parapluie pliant | 29 | classic
accessories | Chaussettes de sport (lot de 3) | 15 | sport
beauty | Eau de parfum florale | 89 | chic
beauty | Eau de toilette boisée | 69 | classic
beauty | Crème hydratante visage | 35 | cosy
beauty | Sérum éclat | 45 | chic
beauty | Rouge à lèvres mat | 25 | chic
beauty | Mascara volume | 22 | chic casual
beauty | Huile pour le corps | 29 | boho cosy
beauty | Savon à l'huile d'olive | 8 | boho cosy
beauty | Baume à lèvres | 9 | sport casual
beauty | Crème solaire SPF 50 | 19 | sport
beauty | Coffret de soins | 59 | cosy chic
beauty | Shampooing doux | 14 | casual
beauty | Palette de fards | 39 | chic
beauty | Déodorant naturel | 12 | sport boho
home | Bougie parfumée figue | 29 | cosy boho
home | Plaid en laine | 79 | cosy
home | Coussin en lin | 35 | boho cosy
home | Parure de lit en lin | 129 | cosy classic
home | Serviettes éponge | 39 | cosy
home | Vase en céramique | 45 | boho chic
home | Tasse en grès | 15 | casual cosy
home | Nappe en coton | 49 | classic
home | Diffuseur de parfum | 35 | cosy chic
home | Panier en osier | 39 | boho
home | Miroir rond | 89 | chic
home | Tapis de yoga | 39 | sport
""")
#: the path of a product's page
PRODUCT_PATH = "/produit/"

CAMPAIGNS = words(
    "soldes-hiver soldes-ete nouvelle-collection black-friday fete-des-meres rentree noel"
    " ventes-privees anniversaire-client french-days"
)

SITE = "https://boutique.example.com"
SIGN_IN_PATH = "/compte/connexion"
WEB_PATHS = words(
    "/ / / /nouveautes /femme /homme /femme/robes /femme/chaussures /homme/chemises"
    " /homme/chaussures /accessoires /accessoires/sacs /accessoires/ceintures"
    " /accessoires/bijoux /beaute/parfums /beaute/soins /maison/linge /maison/deco /soldes"
    " /panier /compte/commandes /recherche?q=sac /recherche?q=robe"
)

SUPPORT_SUBJECTS: tuple[str, ...] = (
    "Retard de livraison",
    "Demande de remboursement",
    "Article défectueux",
    "Changement d'adresse",
    "Problème de paiement",
    "Retour produit",
    "Carte de fidélité",
    "Question sur ma commande",
    "Code promo non appliqué",
    "Suppression de mon compte",
    "Colis endommagé",
    "Erreur de taille",
)

#: NPS comments by band: detractors (0-6), passives (7-8), promoters (9-10)
NPS_COMMENTS: tuple[tuple[str, ...], ...] = (
    (
        "Livraison beaucoup trop lente.",
        "Service client injoignable, très déçu.",
        "Article abîmé à la réception",
        "Remboursement toujours pas reçu",
        "Qualité en baisse, dommage.",
    ),
    (
        "Bien, mais les frais de port sont chers.",
        "Correct dans l'ensemble",
        "Produits sympas, site un peu lent",
        "RAS",
    ),
    (
        "Très satisfaite, merci !",
        "Livraison rapide, produits conformes.",
        "Super accueil en magasin",
        "Je recommande !",
        "Parfait, comme d'habitude",
    ),
)
