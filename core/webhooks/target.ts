import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";

/**
 * Server-side request forgery: a webhook URL is the user's to choose, so it must not reach our own network. An
 * address is refused when it is loopback, private, link-local (cloud metadata lives there), carrier-grade NAT,
 * unspecified, multicast or reserved, in IPv4 or IPv6 (IPv4-mapped IPv6 included).
 */
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  FORBIDDEN.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
] as const) {
  FORBIDDEN.addSubnet(net, prefix, "ipv6");
}

export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, "ipv4");
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return FORBIDDEN.check(mapped[1]!, "ipv4");
  return FORBIDDEN.check(address, "ipv6");
}

export class ForbiddenTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenTargetError";
  }
}

/**
 * A `lookup` for http(s).request: it resolves the host and refuses the connection when any address it gets is
 * forbidden. The socket connects to exactly the address checked here, so a DNS answer that changes between a
 * check and the connection (a rebind) cannot slip through.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      const refused = list.find((a) => isForbiddenAddress(a.address));
      if (!allowPrivate && (refused || list.length === 0)) {
        return callback(
          new ForbiddenTargetError(`${hostname} resolves to a loopback, private or link-local address`),
          [],
        );
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      const first = list[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * Checks an endpoint URL when it is registered: https (plain http only with allowPrivate), and a host that
 * resolves, to no forbidden address. Returns the reason it is refused, or null. Delivery checks again at connect
 * time (guardedLookup): this check is for a clear answer up front, not the defence.
 */
export async function refuseTarget(url: string, allowPrivate: boolean): Promise<string | null> {
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && !(allowPrivate && parsed.protocol === "http:")) {
    return "must be an https URL";
  }
  if (parsed.username || parsed.password) return "must not carry credentials";
  if (allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host))
    return isForbiddenAddress(host) ? "must not be a loopback, private or link-local address" : null;
  const addresses = await new Promise<LookupAddress[] | null>((resolve) =>
    dnsLookup(host, { all: true }, (err, list) => resolve(err ? null : list)),
  );
  if (!addresses || addresses.length === 0) return "its host does not resolve";
  if (addresses.some((a) => isForbiddenAddress(a.address))) {
    return "its host resolves to a loopback, private or link-local address";
  }
  return null;
}
