/**
 * Cheap, deterministic readings of a lead's message (keywords, amounts, dates) that the simulated answers are
 * built from. Plausible, not clever: enough for demos and tests to see different leads routed differently.
 */

const has = (text: string, patterns: readonly RegExp[]) => patterns.filter((p) => p.test(text));

/** The words that matched, for rationales and explanations. */
export function matchedWords(text: string, patterns: readonly RegExp[]): string[] {
  return has(text, patterns).map((p) => p.exec(text)![0].toLowerCase());
}

export const SPAM_PATTERNS = [
  /click here/i,
  /\b(crypto|bitcoin|btc|ethereum|nft|forex)\b/i,
  /\bseo\b/i,
  /\bbacklinks?\b/i,
  /\b(promo(tion)?|promo code|discount code|limited[- ]time offer)\b/i,
  /\b(rank|ranking) (your|on) (website|google)\b/i,
  /\b(guaranteed|100% free|risk[- ]free|act now|winner|you have won|congratulations)\b/i,
  /\b(casino|viagra|loan offer|investment opportunity|double your)\b/i,
  /\bverify your (account|password|identity)\b/i,
];
export const LINK_PATTERN = /\b(https?:\/\/|www\.)\S+/i;

export const SUPPORT_PATTERNS = [
  /\bbroken\b/i,
  /\b(not working|doesn'?t work|does not work|stopped working|won'?t (start|turn on|work))\b/i,
  /\brefund\b/i,
  /\b(complaint|complain(ing)?)\b/i,
  /\b(damaged|defective|faulty|leak(ing|s)?)\b/i,
  /\b(charged twice|double charged|overcharged|wrong charge)\b/i,
  /\b(never (arrived|showed up|came)|no[- ]show|didn'?t show up)\b/i,
  /\b(terrible|awful|disappointed|unacceptable|worst)\b/i,
  /\b(error|crash(es|ed|ing)?|can'?t log ?in)\b/i,
];

export const EXISTING_ACCOUNT_PATTERNS = [
  /\bmy (booking|order|appointment|reservation|subscription|account|plan|membership|contract)\b/i,
  /\b(order|booking|account|reservation|invoice|ref(erence)?)\s*(number|no\.?|#|id)\s*:?\s*[a-z0-9-]{3,}/i,
  /\b(existing|current|returning) customer\b/i,
  /\bcustomer since\b/i,
  /\b(we|i) booked\b/i,
  /\b(our|the) (booking|appointment|reservation|order|subscription)\b/i,
];

export const CHANGE_PATTERNS = [
  /\b(upgrade|downgrade)\b/i,
  /\b(cancel(l?ation|l?ed)?|terminate)\b/i,
  /\b(reschedule|postpone|move (it|my|the)|change (the|my) (date|time|booking))\b/i,
  /\b(add(-| )on|add (a|an|another)|additional|extra)\b/i,
];

export const SALES_PATTERNS = [
  /\b(price|pricing|prices|cost|costs|rates?)\b/i,
  /\bhow much\b/i,
  /\b(quote|quotation|estimate)\b/i,
  /\b(availability|available|do you have|free (on|slot))\b/i,
  /\b(interested in|looking for|would like to (book|hire|get)|want to (book|hire))\b/i,
  /\b(hire|book a|booking a)\b/i,
  /\bbudget\b/i,
  // The same asks in the other languages languageOf() recognises.
  /(?<!\p{L})(precio|presupuesto|cotización|disponibilidad|prix|devis|tarif|preço|orçamento|preis|angebot|kosten|prezzo|preventivo)(?!\p{L})/iu,
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
  if (/\b(today|asap|immediately|right now|right away|emergency|tonight)\b/i.test(text)) return "now";
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
