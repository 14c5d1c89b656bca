/**
 * Cheap, deterministic readings of a lead's message (keywords, amounts, dates) that the simulated answers are
 * built from. Plausible, not clever: enough for demos and tests to see different leads routed differently.
 */

const has = (text: string, patterns: readonly RegExp[]) => patterns.filter((p) => p.test(text));

/** The words that matched, for rationales and explanations. */
export function matchedWords(text: string, patterns: readonly RegExp[]): string[] {
  return has(text, patterns).map((p) => p.exec(text)![0].toLowerCase());
}

/** Whole words in any script: `\b` is ASCII-only, so "é" or "ó" would end a word early. */
const words = (...alternatives: string[]) =>
  new RegExp(`(?<!\\p{L})(?:${alternatives.join("|")})(?!\\p{L})`, "iu");

export const SPAM_PATTERNS = [
  /click here/i,
  /\b(crypto|bitcoin|btc|ethereum|nft|forex)\b/i,
  /\bseo\b/i,
  /\bbacklinks?\b/i,
  /\b(promo(tion)?|promo code|discount code|limited[- ]time offer)\b/i,
  /\b(rank(ing)?|first page|page one) (of |on |in )?(your |on )?(website|google)\b/i,
  /\b(guaranteed|100% free|risk[- ]free|act now|winner|you have won|you've won|congratulations|claim now|reply stop)\b/i,
  /\b(casino|viagra|loan offer|investment opportunity|double your|followers|dating)\b/i,
  /\bverify your (account|password|identity|details)\b/i,
  /\b(account|cuenta|konto|compte|conta) (has been |ha sido |wurde |a été |foi )?(suspended|blocked|locked|bloqueada|gesperrt|bloqué|bloqueada)/i,
  /\b(guest post|link building|lead generation|more leads|qualified leads|grow your business|marketing agency|web design agency|outsourcing|white[- ]label)\b/i,
  /\b(we (help|offer|provide|specialise|specialize) (businesses|companies|you)|our (agency|team) (can|helps?)|partnership opportunity|collaboration)\b/i,
  /\b(do you need|are you looking for) (a |an |more )?(photographer|website|designer|developer|staff|leads|customers|clients|suppliers?)\b/i,
  /\b(parcel|package|delivery) (could not|couldn't|was not|failed)/i,
  /\b(unsubscribe|opt out|newsletter|webinar)\b/i,
  words("référencement", "posicionamiento", "suchmaschinenoptimierung"),
  words("anbei die (offene )?rechnung", "in der anlage", "öffnen sie den anhang"),
  /\.(zip|exe|scr)\b/i,
  /\b(hi mum|hi dad|businesses like yours|reaching out because)\b/i,
  /\b(curriculum vitae|my cv|my resume|job application|apply for (a|the) (job|position))\b/i,
  /\b(pen ?pals?|chain letter|forward this|trivia|quiz|capital of|survey|wrong (address|number, sorry)|please ignore|blessed|good morning everyone)\b/i,
  /\b(we sell|wholesale|catalogue|flat fee|redesign|outdated|solar panels|zero cost|energy contract|press 1|reply (1|sim|yes|win|'interested')|text win|win an|t&cs apply|gift cards?|new number|card details|\.exe|expires today|flagged for removal|confirm your (ownership|address|details)|signal group|turn \d+\S* into|5-star reviews|more reviews|business loans?|\d+% off|directory|spreadsheet)\b/i,
  /\b(idiots?|go to hell|scammers?|useless|f+u+c+k|bastards?)\b|🖕/i,
  /\b(asdf\w*|qwerty|lorem ipsum)\b/i,
  words(
    "sprzedam",
    "vendiamo",
    "sconto",
    "wir liefern",
    "qualifizierte leads",
    "testen sie",
    "wij bieden",
    "bedrijfsleningen",
    "siamo un'agenzia",
    "telemarketing",
    "agencia de marketing",
    "reseñas",
    "seguidores",
    "diretório",
    "registe-se",
    "grátis",
    "votre colis",
    "confirmez",
    "voleurs",
    "pourrir",
    "bande de nuls",
    "rabatt",
  ),
];

/** Text written to instruct the triage system rather than the business: ignored, and spam when nothing else is said. */
export const INJECTION_PATTERNS = [
  /\bignore (all |any |your |the |previous |prior )*(instructions|rules|prompts?)\b/i,
  /\b(system prompt|developer mode|jailbreak|admin override|system override)\b/i,
  /<\/?\s*(system|lead_data|previous_steps|instructions?)\b[^>]*>/i,
  /\{\s*"(category|priority|queue)"\s*:/i,
  /\b(classify|route|mark) (this|me|it) as\b/i,
  /\bclassification complete\b/i,
  /\b(new instructions|forget the (triage )?rules|this is your developer|reply with queue|put '?approved'?)\b/i,
  words("ignora las instrucciones", "clasifica este mensaje", "ignorez", "ignoriere", "ignora le istruzioni"),
  /\byou are now\b/i,
];
export const LINK_PATTERN = /\b(https?:\/\/|www\.)\S+/i;

export const SUPPORT_PATTERNS = [
  /\b(broken|broke|cracked|scratched|dented|stained|ripped|smashed|dropped (his|her|my|the|our))\b/i,
  /\b(not working|doesn'?t work|does not work|stopped working|won'?t (start|turn on|work)|isn'?t (working|showing)|keeps (beeping|failing|crashing|leaking))\b/i,
  /\b(refund|compensation|money back|reimburse)\b/i,
  /\b(complaint|complain(ing)?|not happy|unhappy|disaster|disappointed|unacceptable|terrible|awful|worst)\b/i,
  /\b(damaged|defective|faulty|leak(ing|s)?|dripping|flood(ing|ed)?|gas smell|smell of gas|water (coming|everywhere))\b/i,
  /\b(charged twice|double charged|overcharged|wrong (charge|invoice|amount|bill|names?)|charged (me )?for|still been charged|vat added twice|never had)\b/i,
  /\b(never (arrived|showed( up)?|came|turned up|sent)|no[- ]show|didn'?t (show|turn) up|hasn'?t (joined|arrived|sent|come)|nobody (came|showed|turned up)|(\d+ ?(min|mins|minutes|hours?)) late|late again|was late)\b/i,
  /\b(error|crash(es|ed|ing)?|can'?t log ?in|reset link|expired|no (booking )?confirmation)\b/i,
  /\b(missing|gone missing|forgot|left (all )?(the|my)|fell off|came out|failed( twice)?|back again|are back|again)\b/i,
  /\b(receipt|invoice for|need (it|the invoice) for)\b/i,
  /\b(blocking my|fix (it|this)|fixed|need it fixed|wants? a callback)\b/i,
  // The same problems in the other languages of our leads.
  words(
    "reembolso",
    "devolved(me)?",
    "cobrado dos veces",
    "cobrad[oa]",
    "no vino",
    "no ha venido",
    "horas tarde",
    "rompieron",
    "roto",
    "goteando",
    "factura",
    "cargo",
    "compensación",
    "me doy de baja",
    "rembours(é|ement|er)",
    "pas venu",
    "fuit",
    "cassé",
    "facture",
    "annulé",
    "mise à jour",
    "je ne (vois|peux) plus",
    "erstatten",
    "doppelt",
    "abgebucht",
    "rechnung",
    "nicht erreichbar",
    "geht (sie|er|es)? ?gar nicht mehr",
    "kaputt",
    "beschädigt",
    "eiskalt",
    "rimbors[oi]",
    "ritardo",
    "mancavano",
    "sbagliata",
    "fattura",
    "di nuovo",
    "nie przyszedł",
    "brakuje",
    "faktur[aęy]",
    "korekt[ęa]",
    "reembolso",
    "ninguém apareceu",
    "faltam",
    "paguei",
    "cancelou",
    "beschadigd",
    "ontbreekt",
    "gebarsten",
    "wie betaalt",
  ),
];

export const EXISTING_ACCOUNT_PATTERNS = [
  /\bmy (\w+ )?(booking|order|appointment|appt|reservation|subscription|account|plan|membership|contract|lessons?|sessions?|cleans?|cleaning|visit|car service|move|slot)\b/i,
  /\b(order|booking|account|acct|acc|reservation|invoice|ref(erence)?|contract|job|student ref|customer)\s*(number|no\.?|#|id|ref)?\s*:?\s*#?[a-z]{0,4}-?\d[a-z0-9-]{1,}/i,
  /#\d{3,}/,
  /\b[A-Z]{2,4}-\d{2,}[A-Z0-9-]*\b/,
  /\b(existing|current|returning) customer\b/i,
  /\b(customer since|you do my|we('re| are) on your|i'?m on the|i have the|we have the|i'?ve got the|(lessons|sessions) with you|has lessons)\b/i,
  /\b(we|i) (booked|have booked)\b/i,
  /\b(our|the|tomorrow'?s|saturday'?s|this week'?s|my next) (booking|appointment|reservation|order|subscription|contract|visit|lesson|session|clean|mow)\b/i,
  words(
    "mi reserva",
    "reserva",
    "mi cita",
    "cita",
    "número de cita",
    "cliente \\d+",
    "clienta vuestra",
    "contrato",
    "mon rendez-vous",
    "rendez-vous",
    "notre contrat",
    "contrat",
    "meine?n? (termin|buchung|friseurtermin)",
    "auftragsnummer",
    "termin",
    "prenotazione",
    "codice cliente",
    "abbonamento",
    "la lezione",
    "rezerwacj[aię]",
    "zamówienie",
    "mam zarezerwowan[aą]",
    "reserva \\d+",
    "a sessão",
    "faxina de",
    "mijn abonnement",
    "klantnummer",
    "contractnummer",
    "onderhoudscontract",
    "de fotoshoot van",
  ),
];

export const CHANGE_PATTERNS = [
  /\b(upgrade|downgrade|go up to|move (up )?to the|switch (my|to))\b/i,
  /\b(cancel(l?ation|l?ed)?|terminate|don'?t need (them|it) anymore|skip)\b/i,
  /\b(reschedule|postpone|move (it|my|the|all)|change (the|my|grooming|from)|make it the|bring forward|bump|push (my|the)|instead|a different|one hour later|later)\b/i,
  /\b(add(-| )on|add (a|an|another|the|window|prints|english|gel)|also (do|check)|additional|extra|on top of|second weekly)\b/i,
  /\b(pay (for )?next|annual plan|from \w+ to \w+ (people|cleans))\b/i,
  words(
    "cambiar",
    "pasar al",
    "en vez de",
    "cancelar",
    "anular",
    "añadir",
    "ajouter",
    "résilier",
    "annuler",
    "décaler",
    "verschieben",
    "schieben",
    "absagen",
    "kündigen",
    "dazu",
    "spostare",
    "annullare",
    "disdire",
    "aggiungere",
    "przełożyć",
    "powiększyć",
    "zmienić",
    "odwołać",
    "trocar",
    "acrescentar",
    "cancelar",
    "verzetten",
    "later beginnen",
    "i\\.p\\.v\\.",
    "in plaats van",
    "opzeggen",
  ),
];

export const SALES_PATTERNS = [
  /\b(price|pricing|prices|cost|costs|rates?|charge for|cheaper)\b/i,
  /\bhow much\b/i,
  /\b(quote|quotes|quotation|estimate)\b/i,
  /\b(availability|available|do you have|free (on|slot|sat|sun)|u free|are you free|are you booking|any (slots|space))\b/i,
  /\b(interested in|looking for|after someone|would like to (book|hire|get)|want(ed)? to (book|hire|compare)|i want book)\b/i,
  /\b(hire|book a|booking a|need a|need an|need someone)\b/i,
  /\b(do (you|u) (do|offer|cover|photograph|teach|fix|clean|install)|can (you|u|someone) (come|do|tutor|help with|fit|clean|fix|install|quote))\b/i,
  /\b(compare|comparison|versus|vs\.?)\b/i,
  /\bbudget\b/i,
  // The same asks in the other languages of our leads.
  words(
    "precio",
    "precios",
    "presupuesto",
    "cotización",
    "disponibilidad",
    "cuánto",
    "cuanto",
    "cobráis",
    "tenéis hueco",
    "quería saber",
    "prix",
    "devis",
    "tarif",
    "combien",
    "disponibilités",
    "vous faites",
    "avez-vous",
    "preis",
    "angebot",
    "kosten",
    "was kostet",
    "kostenvoranschlag",
    "habt ihr",
    "wir suchen",
    "ich bräuchte",
    "prezzo",
    "preventivi?",
    "quanto costa",
    "quanto",
    "ile kosztuje",
    "szukamy",
    "cennik",
    "preço",
    "orçamento",
    "quanto fica",
    "qual o valor",
    "têm vaga",
    "vocês fazem",
    "offerte",
    "kunnen jullie",
    "wat kost",
    "ik wil graag een afspraak",
  ),
];
const URGENT = [/\b(urgent(ly)?|asap|emergency|immediately|right now|right away)\b/i, /\btoday\b/i, /!!/];
const SOON = [/\b(soon|tomorrow|this week|next week|within (a|\d+) days?)\b/i];

export type Urgency = "low" | "medium" | "high";
export function urgencyOf(text: string): Urgency {
  if (has(text, URGENT).length > 0) return "high";
  if (has(text, SOON).length > 0) return "medium";
  return "low";
}

export type Timeline = "now" | "<1w" | "1-4w" | ">1m" | "unknown";
export function timelineOf(text: string): Timeline {
  if (
    /\b(today|asap|immediately|right now|right away|emergency|tonight|this morning|now)\b/i.test(text) ||
    words("hoy", "aujourd'hui", "heute", "oggi", "dzisiaj", "hoje", "vandaag").test(text)
  )
    return "now";
  if (words("mañana", "demain", "morgen", "domani", "jutro", "amanhã", "tmrw", "tomorrow'?s").test(text))
    return "<1w";
  if (
    /\b(tomorrow|this week|within (a|\d) days?|in \d days|(this|on) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)|this weekend)\b/i.test(
      text,
    )
  )
    return "<1w";
  if (/\b(next week|in (two|three|2|3|a few) weeks|this month|within (a|\d) weeks?)\b/i.test(text))
    return "1-4w";
  if (
    /\b(next month|in (\d+|two|three|a few|several) months|later this year|next year|in (the )?(spring|summer|autumn|fall|winter))\b/i.test(
      text,
    )
  )
    return ">1m";
  return "unknown";
}

/** The largest money amount mentioned ("$3,000", "5k", "€1.200", "2000 dollars"), or null. */
export function largestAmount(text: string): number | null {
  const amounts: number[] = [];
  const money =
    /(?:[$€£]\s?(\d[\d,.]*)\s?(k)?\b)|(?:\b(\d[\d,.]*)\s?(k)?\s?(?:usd|eur|gbp|dollars?|euros?|pounds?|bucks)\b)|(?:\bbudget\D{0,20}(\d[\d,.]*)\s?(k)?\b)/gi;
  for (const m of text.matchAll(money)) {
    const digits = m[1] ?? m[3] ?? m[5];
    const thousands = m[2] ?? m[4] ?? m[6];
    if (!digits) continue;
    // "1,200" and "1.200" are both thousands separators in lead messages; "99.50" keeps its decimals.
    const normalized = /[.,]\d{3}\b/.test(digits)
      ? digits.replace(/[.,](?=\d{3}\b)/g, "")
      : digits.replace(",", ".");
    const value = Number.parseFloat(normalized) * (thousands ? 1000 : 1);
    if (Number.isFinite(value) && value > 0) amounts.push(value);
  }
  return amounts.length > 0 ? Math.max(...amounts) : null;
}

export type BudgetRange = "<500" | "500-2000" | "2000-10000" | ">10000" | "unknown";
export function budgetRangeOf(amount: number | null): BudgetRange {
  if (amount === null) return "unknown";
  if (amount < 500) return "<500";
  if (amount <= 2000) return "500-2000";
  if (amount <= 10_000) return "2000-10000";
  return ">10000";
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/** A date the message spells out in full (year included), as YYYY-MM-DD; relative dates are never guessed. */
export function isoDateIn(text: string): string | null {
  const candidates: [number, number, number][] = [];
  for (const m of text.matchAll(/\b(\d{4})-(\d{2})-(\d{2})\b/g)) candidates.push([+m[1]!, +m[2]!, +m[3]!]);
  const month = MONTHS.join("|");
  for (const m of text.matchAll(new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)? (${month}),? (\\d{4})\\b`, "gi")))
    candidates.push([+m[3]!, MONTHS.indexOf(m[2]!.toLowerCase()) + 1, +m[1]!]);
  for (const m of text.matchAll(new RegExp(`\\b(${month}) (\\d{1,2})(?:st|nd|rd|th)?,? (\\d{4})\\b`, "gi")))
    candidates.push([+m[3]!, MONTHS.indexOf(m[1]!.toLowerCase()) + 1, +m[2]!]);
  for (const [year, monthNumber, day] of candidates) {
    const iso = `${String(year).padStart(4, "0")}-${String(monthNumber).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
    const date = new Date(`${iso}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().startsWith(iso)) return iso;
  }
  return null;
}

const SERVICES = [
  "deep cleaning",
  "cleaning",
  "plumbing",
  "electrical work",
  "electrician",
  "moving",
  "painting",
  "roof repair",
  "roofing",
  "landscaping",
  "gardening",
  "catering",
  "wedding photography",
  "photography",
  "web design",
  "website",
  "hvac",
  "air conditioning",
  "heating",
  "renovation",
  "kitchen remodel",
  "bathroom remodel",
  "installation",
  "repair",
  "consultation",
  "delivery",
  "subscription",
  "hosting",
  "tutoring",
  "massage",
  "haircut",
];

export function serviceIn(text: string): string | null {
  const lower = text.toLowerCase();
  return SERVICES.find((s) => new RegExp(`\\b${s}\\b`).test(lower)) ?? null;
}

const NOT_PLACES = new Set([
  "I",
  "The",
  "A",
  "An",
  "My",
  "Our",
  "Your",
  "It",
  "We",
  "This",
  "That",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
  ...MONTHS.map((m) => m[0]!.toUpperCase() + m.slice(1)),
]);

/** A capitalised place after "in", "at", "near" or "from" ("in Lisbon", "near San Diego"). */
export function locationIn(text: string): string | null {
  for (const m of text.matchAll(
    /\b(?:in|at|near|from|around|en|em)\s+((?:[A-Z][a-zà-ÿ]+)(?:[ -](?:[A-Z][a-zà-ÿ]+)){0,2})/g,
  )) {
    const place = m[1]!;
    if (!NOT_PLACES.has(place.split(/[ -]/)[0]!)) return place.slice(0, 200);
  }
  return null;
}

/** Common words per language; matched as whole words, accents included (plain \b is ASCII-only). */
const LANGUAGE_WORDS: Record<string, readonly string[]> = {
  es: [
    "hola",
    "necesito",
    "quiero",
    "por favor",
    "gracias",
    "precio",
    "cuánto",
    "el",
    "los",
    "para",
    "con",
    "una",
  ],
  fr: ["bonjour", "je", "besoin", "merci", "prix", "combien", "le", "les", "pour", "avec", "une", "est"],
  de: [
    "hallo",
    "ich",
    "brauche",
    "danke",
    "preis",
    "wie viel",
    "der",
    "die",
    "das",
    "und",
    "nicht",
    "mit",
    "eine",
  ],
  pt: ["olá", "preciso", "obrigado", "obrigada", "preço", "quanto", "você", "não", "uma", "para", "com"],
  it: ["ciao", "buongiorno", "vorrei", "grazie", "prezzo", "quanto costa", "sono", "per", "il"],
  en: ["the", "and", "is", "my", "i", "you", "we", "for", "with", "a", "to", "please", "need", "hi", "hello"],
};
const LANGUAGE_PATTERNS = Object.entries(LANGUAGE_WORDS).map(
  ([code, words]) => [code, new RegExp(`(?<!\\p{L})(${words.join("|")})(?!\\p{L})`, "giu")] as const,
);

/** ISO 639-1 code of the language with the most common words in the message; null when nothing matches. */
export function languageOf(text: string): string | null {
  let best: string | null = null;
  let bestCount = 0;
  for (const [code, pattern] of LANGUAGE_PATTERNS) {
    const count = text.match(pattern)?.length ?? 0;
    if (count > bestCount) {
      best = code;
      bestCount = count;
    }
  }
  return best;
}

/** Tone: exclamation runs, shouting and strong words. */
export function isAngry(text: string): boolean {
  const shouted = (text.match(/\b[A-Z]{4,}\b/g) ?? []).length;
  return (
    /!{2,}/.test(text) ||
    shouted >= 2 ||
    /\b(unacceptable|furious|ridiculous|lawyer|scam|worst|never again|disgusted)\b/i.test(text)
  );
}

/** A conditional threat to leave ("refund me or I cancel", "one more time and…"): a customer about to go. */
export function churnThreat(text: string): boolean {
  return (
    /\b(or|otherwise|else) (i|we)('ll| will)? (cancel|leave|go elsewhere|switch)\b/i.test(text) ||
    /\b(one more time|last chance|if (this|it) (happens|continues)|if not (fixed|sorted))\b/i.test(text) ||
    words("me doy de baja", "je résilie", "kündige ich", "disdico", "rezygnuję", "cancelo", "zeg ik op").test(
      text,
    )
  );
}

/** The customer is about to leave: cancelling, going to a competitor, a last chance. */
export function churnRisk(text: string): boolean {
  return /\b(cancel|terminate|switch(ing)? to|go(ing)? elsewhere|competitor|last chance|never again|close my account)\b/i.test(
    text,
  );
}

/** Too short or too vague to act on: fewer than four words, or no letters at all. */
export function isVague(text: string): boolean {
  const words = text.split(/\s+/).filter((w) => /\p{L}/u.test(w));
  return words.length < 4;
}

/** A booking, order or account reference as written, without the word before it ("booking #4411" -> "#4411"). */
export function referenceIn(text: string): string | null {
  const labelled =
    /(?<!\p{L})(?:booking|order|account|acct|acc|reservation|invoice|ref(?:erence)?|contract|job|student|customer|client|reserva|cita|prenotazione|rezerwacja|zamówienie|klantnummer|contractnummer|codice cliente|cliente|auftragsnummer|contrat|contratto|kundennummer)(?:\s*(?:number|no\.?|nr\.?|n°|#|id|ref|de cita))?\s*[:.]?\s*(#?[a-z]{0,4}-?\d[a-z0-9/-]*)/iu.exec(
      text,
    );
  if (labelled) return labelled[1]!.replace(/[-/.]+$/, "");
  const bare = /(#\d{3,}|\b[A-Z]{2,4}-\d{2,}[A-Z0-9-]*)/.exec(text);
  return bare ? bare[1]! : null;
}

type ChangeRequest = "reschedule" | "upgrade" | "add_on" | "cancel" | "other";
const CHANGE_KINDS: [ChangeRequest, RegExp][] = [
  [
    "cancel",
    /(?<!\p{L})(cancel(?!led it)|terminate|don'?t need (them|it)|cancelar|annuler|résilier|disdire|absagen|annullare|kündigen|opzeggen|odwołać)/iu,
  ],
  [
    "upgrade",
    /(?<!\p{L})(upgrade|go up to|premium|make it the|daily cleans|bigger|from \d+ to \d+|wekelijks maken|powiększyć)/iu,
  ],
  [
    "reschedule",
    /(?<!\p{L})(reschedul|postpone|move (it|my|the|all)|bring forward|bump|push (my|the)|instead|later|change (grooming|from|the (date|time|slot|delivery slot))|can we do|cambiar|pasar al|verschieben|schieben|spostare|przełożyć|trocar|verzetten|i\.p\.v\.|décaler)/iu,
  ],
  [
    "add_on",
    /(?<!\p{L})(add|also (do|check)|extra|additional|on top of|second weekly|ajouter|añadir|acrescentar|aggiungere|dazu|en vez de 2)/iu,
  ],
];

export function changeRequestOf(text: string): ChangeRequest {
  return CHANGE_KINDS.find(([, pattern]) => pattern.test(text))?.[0] ?? "other";
}

type IssueType = "billing" | "scheduling" | "service_quality" | "technical" | "other";
const ISSUE_KINDS: [IssueType, RegExp][] = [
  [
    "billing",
    /(?<!\p{L})(charged|invoice|receipt|payment|bill(ing)?|overcharged|vat|factura|facture|fattura|rechnung|faktur|cobrado|cobrado|abgebucht|paguei|cargo|refund(ed)? for)/iu,
  ],
  [
    "technical",
    /(?<!\p{L})(app|application|website|portal|password|log ?in|server|network|printer|error|crash(es|ed)?|link|zoom|appli(cation)?)(?!\p{L})/iu,
  ],
  [
    "scheduling",
    /(?<!\p{L})(late|no[- ]show|didn'?t (show|come|turn up)|never (showed|came|turned up)|hasn'?t (joined|come|arrived|sent)|missed|no vino|pas venu|nie przyszedł|ninguém apareceu|ritardo|horas tarde|annulé|cancelou|wasn'?t there)/iu,
  ],
  [
    "service_quality",
    /(?<!\p{L})(damaged|broken|broke|poor|terrible|rude|dirty|awful|leak|quality|defective|faulty|scratched|cracked|dropped|missing|fell off|came out|leaning|left all|fuit|goteando|rompieron|beschädigt|beschadigd|gebarsten|brakuje|faltam|mancavano|back|failed|not working|isn'?t)/iu,
  ],
];

export function issueTypeOf(text: string): IssueType {
  return ISSUE_KINDS.find(([, pattern]) => pattern.test(text))?.[0] ?? "other";
}
