"""ISO reference tables read by ``personae.clean.normalize``: countries and languages.

Each line: codes, then names as people write them (English, French, native, usual
aliases), separated by ``; ``. An indented line continues the one above.
"""

# ISO 3166-1: alpha-2 alpha-3 English name; other names (French, native, usual aliases).
COUNTRY_TABLE = """
AD AND Andorra; Andorre
AE ARE United Arab Emirates; Émirats arabes unis; UAE; U.A.E.; Emirates
AF AFG Afghanistan
AG ATG Antigua and Barbuda; Antigua-et-Barbuda
AI AIA Anguilla
AL ALB Albania; Albanie; Shqipëria
AM ARM Armenia; Arménie
AO AGO Angola
AQ ATA Antarctica; Antarctique
AR ARG Argentina; Argentine
AS ASM American Samoa; Samoa américaines
AT AUT Austria; Autriche; Österreich; Oesterreich
AU AUS Australia; Australie
AW ABW Aruba
AX ALA Åland Islands; Îles Åland; Åland
AZ AZE Azerbaijan; Azerbaïdjan
BA BIH Bosnia and Herzegovina; Bosnie-Herzégovine; Bosnia; Bosnie; Bosna i Hercegovina
BB BRB Barbados; Barbade
BD BGD Bangladesh
BE BEL Belgium; Belgique; België; Belgien; Belgio; Bélgica
BF BFA Burkina Faso
BG BGR Bulgaria; Bulgarie; България
BH BHR Bahrain; Bahreïn
BI BDI Burundi
BJ BEN Benin; Bénin
BL BLM Saint Barthélemy; Saint-Barthélemy; St Barts
BM BMU Bermuda; Bermudes
BN BRN Brunei; Brunéi; Brunei Darussalam
BO BOL Bolivia; Bolivie
BQ BES Bonaire, Sint Eustatius and Saba; Bonaire, Saint-Eustache et Saba;
    Caribbean Netherlands; Pays-Bas caribéens
BR BRA Brazil; Brésil; Brasil
BS BHS Bahamas
BT BTN Bhutan; Bhoutan
BV BVT Bouvet Island; Île Bouvet
BW BWA Botswana
BY BLR Belarus; Biélorussie; Bélarus; Беларусь
BZ BLZ Belize
CA CAN Canada
CC CCK Cocos (Keeling) Islands; Îles Cocos; Cocos Islands
CD COD Democratic Republic of the Congo; République démocratique du Congo; DR Congo; DRC;
    RDC; RD Congo; Congo-Kinshasa; Congo, Democratic Republic of the
CF CAF Central African Republic; République centrafricaine; Centrafrique
CG COG Congo; Republic of the Congo; République du Congo; Congo-Brazzaville
CH CHE Switzerland; Suisse; Schweiz; Svizzera; Svizra; Suiza; Confoederatio Helvetica; Helvetia
CI CIV Côte d'Ivoire; Ivory Coast
CK COK Cook Islands; Îles Cook
CL CHL Chile; Chili
CM CMR Cameroon; Cameroun
CN CHN China; Chine; 中国; People's Republic of China; République populaire de Chine
CO COL Colombia; Colombie
CR CRI Costa Rica
CU CUB Cuba
CV CPV Cabo Verde; Cap-Vert; Cape Verde
CW CUW Curaçao
CX CXR Christmas Island; Île Christmas
CY CYP Cyprus; Chypre; Κύπρος
CZ CZE Czechia; Czech Republic; Tchéquie; République tchèque; Česko; Česká republika
DE DEU Germany; Allemagne; Deutschland; Alemania; Germania; Federal Republic of Germany;
    République fédérale d'Allemagne; Bundesrepublik Deutschland
DJ DJI Djibouti
DK DNK Denmark; Danemark; Danmark
DM DMA Dominica; Dominique
DO DOM Dominican Republic; République dominicaine
DZ DZA Algeria; Algérie; الجزائر; Algerie
EC ECU Ecuador; Équateur
EE EST Estonia; Estonie; Eesti
EG EGY Egypt; Égypte; مصر
EH ESH Western Sahara; Sahara occidental
ER ERI Eritrea; Érythrée
ES ESP Spain; Espagne; España; Spanien; Spagna; Espanha
ET ETH Ethiopia; Éthiopie
FI FIN Finland; Finlande; Suomi; Finnland
FJ FJI Fiji; Fidji
FK FLK Falkland Islands; Îles Malouines; Falklands; Malouines
FM FSM Micronesia; Micronésie; Federated States of Micronesia
FO FRO Faroe Islands; Îles Féroé; Féroé; Føroyar
FR FRA France; République française; French Republic; Frankreich; Francia; Frankrijk
GA GAB Gabon
GB GBR United Kingdom; Royaume-Uni; UK; U.K.; Great Britain; Grande-Bretagne; Britain;
    England; Angleterre; Scotland; Écosse; Wales; Pays de Galles; Northern Ireland;
    Irlande du Nord; United Kingdom of Great Britain and Northern Ireland;
    Vereinigtes Königreich; Reino Unido; Regno Unito
GD GRD Grenada; Grenade
GE GEO Georgia; Géorgie; საქართველო
GF GUF French Guiana; Guyane; Guyane française
GG GGY Guernsey; Guernesey
GH GHA Ghana
GI GIB Gibraltar
GL GRL Greenland; Groenland; Kalaallit Nunaat
GM GMB Gambia; Gambie
GN GIN Guinea; Guinée
GP GLP Guadeloupe
GQ GNQ Equatorial Guinea; Guinée équatoriale
GR GRC Greece; Grèce; Ελλάδα; Hellas; Ellada; Griechenland; Grecia; EL
GS SGS South Georgia and the South Sandwich Islands; Géorgie du Sud-et-les îles Sandwich du Sud
GT GTM Guatemala
GU GUM Guam
GW GNB Guinea-Bissau; Guinée-Bissau
GY GUY Guyana
HK HKG Hong Kong; 香港
HM HMD Heard Island and McDonald Islands; Îles Heard-et-MacDonald
HN HND Honduras
HR HRV Croatia; Croatie; Hrvatska; Kroatien
HT HTI Haiti; Haïti
HU HUN Hungary; Hongrie; Magyarország; Ungarn
ID IDN Indonesia; Indonésie
IE IRL Ireland; Irlande; Éire; Republic of Ireland; Irland
IL ISR Israel; Israël; ישראל
IM IMN Isle of Man; Île de Man
IN IND India; Inde; Bharat
IO IOT British Indian Ocean Territory; Territoire britannique de l'océan Indien
IQ IRQ Iraq; Irak
IR IRN Iran; République islamique d'Iran; Islamic Republic of Iran
IS ISL Iceland; Islande; Ísland
IT ITA Italy; Italie; Italia; Italien
JE JEY Jersey
JM JAM Jamaica; Jamaïque
JO JOR Jordan; Jordanie
JP JPN Japan; Japon; 日本; Nippon
KE KEN Kenya
KG KGZ Kyrgyzstan; Kirghizistan
KH KHM Cambodia; Cambodge
KI KIR Kiribati
KM COM Comoros; Comores
KN KNA Saint Kitts and Nevis; Saint-Christophe-et-Niévès
KP PRK North Korea; Corée du Nord; Democratic People's Republic of Korea
KR KOR South Korea; Corée du Sud; Republic of Korea; République de Corée; 대한민국
KW KWT Kuwait; Koweït
KY CYM Cayman Islands; Îles Caïmans
KZ KAZ Kazakhstan
LA LAO Laos; Lao People's Democratic Republic
LB LBN Lebanon; Liban; لبنان
LC LCA Saint Lucia; Sainte-Lucie
LI LIE Liechtenstein
LK LKA Sri Lanka
LR LBR Liberia
LS LSO Lesotho
LT LTU Lithuania; Lituanie; Lietuva; Litauen
LU LUX Luxembourg; Luxemburg; Lëtzebuerg; Lussemburgo; Luxemburgo; Grand-Duché de Luxembourg
LV LVA Latvia; Lettonie; Latvija; Lettland
LY LBY Libya; Libye; ليبيا
MA MAR Morocco; Maroc; المغرب; Marokko; Marruecos; Marocco; Kingdom of Morocco; Royaume du Maroc
MC MCO Monaco; Principauté de Monaco
MD MDA Moldova; Moldavie; Republic of Moldova
ME MNE Montenegro; Monténégro; Crna Gora
MF MAF Saint Martin; Saint-Martin
MG MDG Madagascar
MH MHL Marshall Islands; Îles Marshall
MK MKD North Macedonia; Macédoine du Nord; Macedonia; Macédoine
ML MLI Mali
MM MMR Myanmar; Birmanie; Burma
MN MNG Mongolia; Mongolie
MO MAC Macao; Macau
MP MNP Northern Mariana Islands; Îles Mariannes du Nord
MQ MTQ Martinique
MR MRT Mauritania; Mauritanie
MS MSR Montserrat
MT MLT Malta; Malte
MU MUS Mauritius; Maurice; Île Maurice
MV MDV Maldives
MW MWI Malawi
MX MEX Mexico; Mexique; México
MY MYS Malaysia; Malaisie
MZ MOZ Mozambique
NA NAM Namibia; Namibie
NC NCL New Caledonia; Nouvelle-Calédonie
NE NER Niger
NF NFK Norfolk Island; Île Norfolk
NG NGA Nigeria; Nigéria
NI NIC Nicaragua
NL NLD Netherlands; Pays-Bas; Nederland; Holland; Hollande; Niederlande; Paesi Bassi;
    Países Bajos; Kingdom of the Netherlands
NO NOR Norway; Norvège; Norge; Noreg; Norwegen
NP NPL Nepal; Népal
NR NRU Nauru
NU NIU Niue
NZ NZL New Zealand; Nouvelle-Zélande; Aotearoa
OM OMN Oman
PA PAN Panama
PE PER Peru; Pérou
PF PYF French Polynesia; Polynésie française
PG PNG Papua New Guinea; Papouasie-Nouvelle-Guinée
PH PHL Philippines
PK PAK Pakistan
PL POL Poland; Pologne; Polska; Polen
PM SPM Saint Pierre and Miquelon; Saint-Pierre-et-Miquelon
PN PCN Pitcairn; Pitcairn Islands; Îles Pitcairn
PR PRI Puerto Rico; Porto Rico
PS PSE Palestine; State of Palestine; État de Palestine
PT PRT Portugal; Portugal; Portogallo
PW PLW Palau; Palaos
PY PRY Paraguay
QA QAT Qatar
RE REU Réunion; La Réunion; Île de la Réunion
RO ROU Romania; Roumanie; România; Rumänien
RS SRB Serbia; Serbie; Srbija; Србија
RU RUS Russia; Russie; Russian Federation; Fédération de Russie; Россия
RW RWA Rwanda
SA SAU Saudi Arabia; Arabie saoudite; Arabie Saoudite
SB SLB Solomon Islands; Îles Salomon
SC SYC Seychelles
SD SDN Sudan; Soudan
SE SWE Sweden; Suède; Sverige; Schweden
SG SGP Singapore; Singapour
SH SHN Saint Helena, Ascension and Tristan da Cunha; Saint Helena; Sainte-Hélène
SI SVN Slovenia; Slovénie; Slovenija
SJ SJM Svalbard and Jan Mayen; Svalbard et Jan Mayen
SK SVK Slovakia; Slovaquie; Slovensko; Slowakei
SL SLE Sierra Leone
SM SMR San Marino; Saint-Marin
SN SEN Senegal; Sénégal
SO SOM Somalia; Somalie
SR SUR Suriname; Surinam
SS SSD South Sudan; Soudan du Sud
ST STP Sao Tome and Principe; São Tomé and Príncipe; Sao Tomé-et-Principe
SV SLV El Salvador; Salvador
SX SXM Sint Maarten; Saint-Martin (partie néerlandaise)
SY SYR Syria; Syrie; Syrian Arab Republic
SZ SWZ Eswatini; Swaziland
TC TCA Turks and Caicos Islands; Îles Turques-et-Caïques
TD TCD Chad; Tchad
TF ATF French Southern Territories; Terres australes et antarctiques françaises;
    Terres australes françaises; TAAF
TG TGO Togo
TH THA Thailand; Thaïlande
TJ TJK Tajikistan; Tadjikistan
TK TKL Tokelau
TL TLS Timor-Leste; East Timor; Timor oriental
TM TKM Turkmenistan; Turkménistan
TN TUN Tunisia; Tunisie; تونس; Tunesien; Túnez; Republic of Tunisia
TO TON Tonga
TR TUR Türkiye; Turkey; Turquie; Türkei; Turquía
TT TTO Trinidad and Tobago; Trinité-et-Tobago
TV TUV Tuvalu
TW TWN Taiwan; Taïwan; 台灣
TZ TZA Tanzania; Tanzanie; United Republic of Tanzania
UA UKR Ukraine; Україна; Ukraina
UG UGA Uganda; Ouganda
UM UMI United States Minor Outlying Islands; Îles mineures éloignées des États-Unis
US USA United States; États-Unis; United States of America; États-Unis d'Amérique; US;
    U.S.; U.S.A.; America; Amérique; Vereinigte Staaten; Estados Unidos; Stati Uniti
UY URY Uruguay
UZ UZB Uzbekistan; Ouzbékistan
VA VAT Holy See; Vatican; Vatican City; Saint-Siège; Cité du Vatican; État de la Cité du Vatican
VC VCT Saint Vincent and the Grenadines; Saint-Vincent-et-les-Grenadines
VE VEN Venezuela
VG VGB British Virgin Islands; Îles Vierges britanniques
VI VIR United States Virgin Islands; U.S. Virgin Islands; Îles Vierges des États-Unis
VN VNM Vietnam; Viet Nam; Viêt Nam
VU VUT Vanuatu
WF WLF Wallis and Futuna; Wallis-et-Futuna
WS WSM Samoa
XK XKX Kosovo
YE YEM Yemen; Yémen
YT MYT Mayotte
ZA ZAF South Africa; Afrique du Sud; Suid-Afrika
ZM ZMB Zambia; Zambie
ZW ZWE Zimbabwe
"""

LANGUAGE_TABLE = """
af afr Afrikaans
am amh Amharic; Amharique; አማርኛ
ar ara Arabic; Arabe; العربية
az aze Azerbaijani; Azéri; Azerbaïdjanais; Azərbaycan dili
be bel Belarusian; Biélorusse; Беларуская
bg bul Bulgarian; Bulgare; Български
bm bam Bambara; Bamanankan
bn ben Bengali; Bengalî; বাংলা
br bre Breton; Brezhoneg
bs bos Bosnian; Bosniaque; Bosanski
ca cat Catalan; Català
co cos Corsican; Corse; Corsu
cs ces cze Czech; Tchèque; Čeština
cy cym wel Welsh; Gallois; Cymraeg
da dan Danish; Danois; Dansk
de deu ger German; Allemand; Deutsch; Alemán; Tedesco
el ell gre Greek; Grec; Ελληνικά
en eng English; Anglais; Englisch; Inglés; Inglese
eo epo Esperanto; Espéranto
es spa Spanish; Espagnol; Español; Castellano; Castilian; Castillan; Spanisch
et est Estonian; Estonien; Eesti
eu eus baq Basque; Euskara
fa fas per Persian; Persan; Farsi; فارسی
fi fin Finnish; Finnois; Suomi
fr fra fre French; Français; Französisch; Francés; Francese
ga gle Irish; Irlandais; Gaeilge
gd gla Scottish Gaelic; Gaélique écossais; Gàidhlig
gl glg Galician; Galicien; Galego
ha hau Hausa; Haoussa
he heb Hebrew; Hébreu; עברית
hi hin Hindi; हिन्दी
hr hrv Croatian; Croate; Hrvatski
ht hat Haitian Creole; Haitian; Créole haïtien; Kreyòl ayisyen
hu hun Hungarian; Hongrois; Magyar
hy hye arm Armenian; Arménien; Հայերեն
id ind Indonesian; Indonésien; Bahasa Indonesia
ig ibo Igbo
is isl ice Icelandic; Islandais; Íslenska
it ita Italian; Italien; Italiano; Italienisch
ja jpn Japanese; Japonais; 日本語
ka kat geo Georgian; Géorgien; ქართული
kk kaz Kazakh; Kazakh; Қазақ тілі
km khm Khmer; Cambodian
ko kor Korean; Coréen; 한국어
ku kur Kurdish; Kurde; Kurdî
la lat Latin
lb ltz Luxembourgish; Luxembourgeois; Lëtzebuergesch
ln lin Lingala
lt lit Lithuanian; Lituanien; Lietuvių
lv lav Latvian; Letton; Latviešu
mg mlg Malagasy; Malgache
mk mkd mac Macedonian; Macédonien; Македонски
ms msa may Malay; Malais; Bahasa Melayu
mt mlt Maltese; Maltais; Malti
my mya bur Burmese; Birman
ne nep Nepali; Népalais
nl nld dut Dutch; Néerlandais; Nederlands; Flemish; Flamand; Vlaams; Niederländisch
no nor Norwegian; Norvégien; Norsk
nb nob Norwegian Bokmål; Bokmål
nn nno Norwegian Nynorsk; Nynorsk
oc oci Occitan
pa pan Punjabi; Panjabi; Pendjabi
pl pol Polish; Polonais; Polski
ps pus Pashto; Pachto
pt por Portuguese; Portugais; Português; Portugiesisch
ro ron rum Romanian; Roumain; Română
ru rus Russian; Russe; Русский
rw kin Kinyarwanda
sk slk slo Slovak; Slovaque; Slovenčina
sl slv Slovenian; Slovène; Slovenščina
so som Somali
sq sqi alb Albanian; Albanais; Shqip
sr srp Serbian; Serbe; Српски; Srpski
sv swe Swedish; Suédois; Svenska
sw swa Swahili; Kiswahili
ta tam Tamil; Tamoul; தமிழ்
te tel Telugu; Télougou
th tha Thai; Thaï; ภาษาไทย
tl tgl Tagalog
tr tur Turkish; Turc; Türkçe
uk ukr Ukrainian; Ukrainien; Українська
ur urd Urdu; Ourdou; اردو
uz uzb Uzbek; Ouzbek; Oʻzbekcha
vi vie Vietnamese; Vietnamien; Tiếng Việt
wo wol Wolof
xh xho Xhosa
yi yid Yiddish
yo yor Yoruba
zh zho chi Chinese; Chinois; 中文; Mandarin
zu zul Zulu; Isizulu
"""
