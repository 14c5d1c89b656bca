import type { LeadInput } from "@leadflow/core/schemas/lead";

/** A spread of ordinary messages (each category), so the three steps answer the way real traffic makes them. */
const MESSAGES = [
  "Hi, how much would a full garden makeover cost? We'd like it done before June, budget around £4,000.",
  "My boiler service booking ref BK-20931 never showed up today, this is unacceptable. Please call me back.",
  "I'd like to upgrade my subscription to the premium plan and add an extra user, account no. AC-77120.",
  "Click here for guaranteed SEO backlinks, rank your website on Google, limited-time offer!",
  "hello?",
  "Looking for a quote to repaint a three-bedroom house in Leeds next month. Can you send prices?",
  "The heater you installed last week is leaking and stopped working. I want a refund or a repair, urgently.",
  "Can we move our appointment for the carpet cleaning from Friday to Monday? Booking #CL-3341.",
] as const;

const CHANNELS = ["whatsapp", "webchat", "email", "other"] as const;

/** How one bench labels its leads: the name, the email address, and a tag that makes each message unique. */
export interface LeadLabels {
  /** `${name} ${i}` is the lead's name. */
  name: string;
  /** `${email}${i}@example.com` is the contact of an email lead. */
  email: string;
  /** When set, the message ends with ` (${tag} #${i})`, so no two leads of a run send the same message. */
  tag?: string;
}

const BENCH_LABELS: LeadLabels = { name: "Bench Lead", email: "lead" };

/** The i-th lead of a run: channels and messages in turn, so every run sends the same mix. */
export function leadFor(i: number, labels: LeadLabels = BENCH_LABELS): LeadInput {
  const channel = CHANNELS[i % CHANNELS.length]!;
  const message = MESSAGES[i % MESSAGES.length]!;
  return {
    name: `${labels.name} ${i}`,
    contact_channel: channel,
    contact:
      channel === "email" ? `${labels.email}${i}@example.com` : `+44 7700 ${String(900000 + (i % 99999))}`,
    message: labels.tag ? `${message} (${labels.tag} #${i})` : message,
  };
}
