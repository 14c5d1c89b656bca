import { parsePhoneNumberFromString } from "libphonenumber-js";
import { label } from "../format.ts";
import type { LeadSource } from "../types.ts";

/**
 * Where a lead came in, as one line for a person: "WhatsApp · +34 600 00 00 00 · via Shop WhatsApp" (the channel
 * type in words · who wrote · via the connection's name), or null for a lead submitted through POST /leads.
 *
 * Server only: libphonenumber-js carries its numbering-plan metadata, which would otherwise ship to every browser.
 * The loads of the list, the lead page and the inbox format each lead's source here and pass the line on.
 */
export function sourceLine(source: LeadSource | null): string | null {
  if (!source) return null;
  const parts = [label(source.channel_type)];
  if (source.from) parts.push(readableFrom(source.from));
  parts.push(`via ${source.channel_name}`);
  return parts.join(" · ");
}

/** A phone number (stored E.164, "+34600000000") grouped as its country writes it; anything else as it is. */
export function readableFrom(from: string): string {
  if (!from.startsWith("+")) return from;
  const phone = parsePhoneNumberFromString(from);
  return phone?.isPossible() ? phone.formatInternational() : from;
}

/** Each item with its `source_line`, for the pages that list leads. */
export const withSourceLines = <T extends { source: LeadSource | null }>(items: T[]) =>
  items.map((item) => ({ ...item, source_line: sourceLine(item.source) }));
