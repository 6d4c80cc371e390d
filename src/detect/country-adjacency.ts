/**
 * @module detect/country-adjacency
 * Land (and fixed-link) borders between countries, ISO 3166-1 alpha-2. Impossible travel never alerts for the
 * same or bordering countries (MDCA: locations are compared "on a country/region level"). A few fixed links
 * where daily commuting is common are included on purpose (DK-SE Øresund, GB-FR Channel Tunnel, BH-SA causeway,
 * SG-MY causeway, ES-GI). Each line: a country, then its neighbours; the table is made symmetric at load.
 * Overseas territories with their own code border only their real neighbours: French Guiana (GF) borders Brazil and
 * Suriname, metropolitan France (FR, the code geo databases give Paris) does not, so Paris -> Sao Paulo is travel.
 */
const BORDERS = `
AD FR ES
AL ME XK MK GR
AM GE AZ IR TR
AT DE CZ SK HU SI IT CH LI
AZ RU GE AM IR TR
BA HR RS ME
BE FR LU DE NL
BG RO RS MK GR TR
BY PL LT LV RU UA
CH FR DE AT LI IT
CZ DE PL SK AT
DE DK PL CZ AT CH FR LU BE NL
DK DE SE
EE LV RU FI
ES PT FR AD GI MA
FI SE NO RU
FR BE LU DE CH IT MC ES AD GB
GB IE FR
GE RU AZ AM TR
GR AL MK BG TR
HR SI HU RS BA ME
HU AT SK UA RO RS HR SI
IT FR CH AT SI SM VA
LI CH AT
LT LV BY PL RU
LU BE DE FR
LV EE LT BY RU
MC FR
MD RO UA
ME HR BA RS XK AL
MK RS XK AL GR BG
NL BE DE
NO SE FI RU
PL DE CZ SK UA BY LT RU
PT ES
RO HU UA MD BG RS
RS HU RO BG MK XK ME BA HR
RU NO FI EE LV LT PL BY UA GE AZ KZ CN MN KP
SE NO FI DK
SI IT AT HU HR
SK CZ PL UA HU AT
SM IT
TR GR BG GE AM AZ IR IQ SY
UA BY RU PL SK HU RO MD
VA IT
XK RS ME AL MK
US CA MX
MX US GT BZ
GT MX BZ SV HN
BZ MX GT
SV GT HN
HN GT SV NI
NI HN CR
CR NI PA
PA CR CO
CO PA VE BR PE EC
VE CO BR GY
GY VE BR SR
SR GY BR GF
GF SR BR
BR GF SR GY VE CO PE BO PY AR UY
EC CO PE
PE EC CO BR BO CL
BO PE BR PY AR CL
PY BO BR AR
AR CL BO PY BR UY
UY AR BR
CL PE BO AR
HT DO
CN KP RU MN KZ KG TJ AF PK IN NP BT MM LA VN HK MO
IN PK CN NP BT BD MM
PK IN AF IR CN
AF PK IR TM UZ TJ CN
IR IQ TR AM AZ TM AF PK
IQ TR IR KW SA JO SY
SY TR IQ JO IL LB
LB SY IL
IL LB SY JO EG PS
PS IL JO EG
JO SY IQ SA IL PS
SA JO IQ KW QA AE OM YE BH
KW IQ SA
QA SA
AE SA OM
OM AE SA YE
YE SA OM
KZ RU CN KG UZ TM
KG KZ CN TJ UZ
TJ KG CN AF UZ
UZ KZ KG TJ AF TM
TM KZ UZ AF IR
MN RU CN
KP CN RU KR
VN CN LA KH
LA CN VN KH TH MM
KH TH LA VN
TH MM LA KH MY
MM BD IN CN LA TH
MY TH BN ID SG
ID MY PG TL
BD IN MM
NP IN CN
BT IN CN
EG LY SD IL PS
LY EG SD TD NE DZ TN
TN DZ LY
DZ TN LY NE ML MR EH MA
MA DZ EH ES
EH MA DZ MR
MR EH DZ ML SN
SN MR ML GN GW GM
GW SN GN
GN GW SN ML CI LR SL
SL GN LR
LR SL GN CI
CI LR GN ML BF GH
GH CI BF TG
TG GH BF BJ
BJ TG BF NE NG
NG BJ NE TD CM
NE DZ LY TD NG BJ BF ML
ML DZ NE BF CI GN SN MR
BF ML NE BJ TG GH CI
TD LY SD CF CM NG NE
SD EG LY TD CF SS ET ER
SS SD ET KE UG CD CF
ER SD ET DJ
DJ ER ET SO
ET ER DJ SO KE SS SD
SO DJ ET KE
KE ET SO TZ UG SS
UG KE TZ RW CD SS
RW UG TZ BI CD
BI RW TZ CD
TZ KE UG RW BI CD ZM MW MZ
CF TD SD SS CD CG CM
CM NG TD CF CG GA GQ
GQ CM GA
GA GQ CM CG
CG GA CM CF CD AO
CD CG CF SS UG RW BI TZ ZM AO
AO CG CD ZM NA
ZM CD TZ MW MZ ZW BW NA AO
MW TZ MZ ZM
MZ TZ MW ZM ZW ZA SZ
ZW ZM MZ ZA BW
BW ZA NA ZM ZW
NA AO ZM BW ZA
ZA NA BW ZW MZ SZ LS
`;

/** Symmetric adjacency: "DE" -> Set {"FR", "NL", ...}. */
export const COUNTRY_NEIGHBOURS: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const m = new Map<string, Set<string>>();
  const add = (a: string, b: string) => {
    let s = m.get(a);
    if (!s) m.set(a, (s = new Set()));
    s.add(b);
  };
  for (const line of BORDERS.trim().split('\n')) {
    const [c, ...ns] = line.trim().split(/\s+/);
    for (const n of ns) {
      add(c, n);
      add(n, c);
    }
  }
  return m;
})();

/** Same country, or countries sharing a border (or a commuter fixed link). Case-insensitive. */
export function sameOrBordering(a: string, b: string): boolean {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x === y || (COUNTRY_NEIGHBOURS.get(x)?.has(y) ?? false);
}
