export const verdict = (pass: boolean | null): string => (pass === null ? "info" : pass ? "PASS" : "MISS");

export const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(digits);

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!;
}

/** A plain text table: the first row is the header; the first column left-aligned, the others right-aligned. */
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

/** `{a: 1, b: 2}` as `a 1, b 2`, biggest first; `-` when empty. */
export const counts = (record: Record<string, number>): string =>
  Object.entries(record)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "-";
