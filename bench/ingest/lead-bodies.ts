import type { LeadInput } from "@leadflow/core/schemas/lead";

/**
 * Realistic POST /leads bodies: the sort of messages the classifier exists for, a few hundred bytes each,
 * with non-ASCII names and every contact channel. The request counter varies them so no two bodies are the
 * same and the server cannot benefit from repetition.
 */
const PEOPLE = [
  { name: "Ana Souza", contact: "+55 11 91234-5678", channel: "whatsapp" },
  { name: "Ben Carter", contact: "ben.carter@northwind.example", channel: "email" },
  { name: "Chloé Martin", contact: null, channel: "webchat" },
  { name: "Dmitri Ivanov", contact: "+7 912 345-67-89", channel: "whatsapp" },
  { name: "Emeka Obi", contact: "emeka@obi-logistics.example", channel: "email" },
  { name: "Fatima Zahra El Idrissi", contact: "@fatima.ez", channel: "other" },
  { name: "Giulia Rossi", contact: null, channel: "webchat" },
  { name: "田中 浩", contact: "hiro.tanaka@example.jp", channel: "email" },
] as const;

const MESSAGES = [
  "Hi! We're a dental clinic with 40 staff across three sites and we're looking to replace our booking " +
    "system before the end of the quarter. Could someone send pricing for the premium plan, and do you " +
    "integrate with Google Calendar? Budget is approved, we'd like a demo next week.",
  "My card was charged twice for invoice #{n} this month. I only have one subscription. Please refund the " +
    "duplicate charge and confirm by email, this is the second time it happens.",
  "Since this morning every export from the dashboard fails with an error 500 and our finance team can't " +
    "close the month. Ticket {n}. We're on the enterprise plan, this is urgent!!",
  "Olá, gostaria de saber se vocês atendem empresas no Brasil e se o contrato pode ser em reais. Somos uma " +
    "rede de 12 lojas e precisamos de algo até março.",
  "Can I change the email address on my account? I moved jobs and lost access to the old one (ref {n}).",
  "CONGRATULATIONS you have been selected!!! Claim your free iPhone now at http://totally-legit.example/{n}",
  "We'd like to partner with you: we run a marketing agency and could resell your product to ~200 small " +
    "businesses. Who should I talk to about reseller margins?",
  "Hello, is there a discount for non-profits? We're a small charity (registered no. {n}) and the standard " +
    "plan is a bit above what we can afford 🙏",
] as const;

export function leadBody(n: number): LeadInput {
  const person = PEOPLE[n % PEOPLE.length]!;
  // A different stride for messages, so each person is seen with each message over the run.
  const message = MESSAGES[Math.floor(n / PEOPLE.length) % MESSAGES.length]!.replaceAll("{n}", String(n));
  return {
    name: person.name,
    contact_channel: person.channel,
    contact: person.contact,
    message,
  };
}
