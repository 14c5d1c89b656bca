/**
 * The benches' one percentile: `p` in 0..1, linear interpolation between the closest ranks (PostgreSQL's
 * percentile_cont, numpy's default), so every bench's p50 and p99 mean the same thing.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export const round = (value: number | null | undefined, digits = 1): number | null =>
  value === null || value === undefined || !Number.isFinite(value)
    ? null
    : Math.round(value * 10 ** digits) / 10 ** digits;

export const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(digits);

/** PASS or MISS; `unmeasured` when there is nothing to judge (a goal the run had no time for, or a figure only). */
export const verdict = (pass: boolean | null, unmeasured = "n/a"): string =>
  pass === null ? unmeasured : pass ? "PASS" : "MISS";

/**
 * A plain text table: the first row is the header, columns padded to their widest cell; the first column
 * left-aligned, the others right-aligned unless `leftAligned` (for columns of words).
 */
export function table(rows: readonly (readonly string[])[], options: { leftAligned?: boolean } = {}): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) =>
        i === 0 || options.leftAligned ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
      )
      .join("  ")
      .trimEnd();
  const [head, ...body] = rows;
  if (!head) return "";
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** Runs `task` for each item with at most `limit` in flight; returns when all have settled (first error wins). */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `{a: 1, b: 2}` as `a 1, b 2`, biggest first; `-` when empty. */
export const counts = (record: Record<string, number>): string =>
  Object.entries(record)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "-";
