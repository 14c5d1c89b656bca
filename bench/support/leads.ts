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

export function leadFor(i: number): LeadInput {
  const channel = CHANNELS[i % CHANNELS.length]!;
  return {
    name: `Bench Lead ${i}`,
    contact_channel: channel,
    contact: channel === "email" ? `lead${i}@example.com` : `+44 7700 ${String(900000 + (i % 99999))}`,
    message: MESSAGES[i % MESSAGES.length]!,
  };
}
