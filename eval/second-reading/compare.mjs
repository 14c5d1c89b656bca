// Compares the first reading (eval/datasets/leads-v1.jsonl) with the blind second reading
// (eval/second-reading/labels-b.jsonl). Run: node eval/second-reading/compare.mjs [first] [second]
import fs from "node:fs";

const [firstFile = "eval/datasets/leads-v1.jsonl", secondFile = "eval/second-reading/labels-b.jsonl"] =
  process.argv.slice(2);

const read = (f) =>
  new Map(
    fs
      .readFileSync(f, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .map((c) => [c.id, c.expected]),
  );
const A = read(firstFile);
const B = read(secondFile);
const ids = [...A.keys()].filter((id) => B.has(id));
const onlyOne = [...A.keys(), ...B.keys()].filter((id) => !(A.has(id) && B.has(id)));
if (onlyOne.length) console.log(`ids in one file only: ${[...new Set(onlyOne)].join(", ")}`);

// The first reading wrote languages as English names; the extract prompt asks for ISO 639-1 codes.
const LANG = {
  spanish: "es",
  german: "de",
  french: "fr",
  portuguese: "pt",
  italian: "it",
  polish: "pl",
  dutch: "nl",
  english: "en",
};
const norm = (field, v) => {
  if (field === "missing_info") return JSON.stringify([...v].sort());
  if (field === "language") return LANG[String(v).toLowerCase()] ?? String(v).toLowerCase();
  return typeof v === "string" ? v.trim().toLowerCase() : JSON.stringify(v);
};
const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(1)}%` : "n/a");

// Category: raw agreement and Cohen's kappa.
const cats = [...new Set(ids.flatMap((id) => [A.get(id).category, B.get(id).category]))].sort();
let agree = 0;
const disagreeing = { category: [], queue: [], priority: [], fields: [] };
const margA = Object.fromEntries(cats.map((c) => [c, 0]));
const margB = Object.fromEntries(cats.map((c) => [c, 0]));
const confusion = {};
for (const id of ids) {
  const a = A.get(id).category;
  const b = B.get(id).category;
  margA[a]++;
  margB[b]++;
  if (a === b) agree++;
  else {
    disagreeing.category.push(`${id} (${a} / ${b})`);
    confusion[`${a} -> ${b}`] = (confusion[`${a} -> ${b}`] ?? 0) + 1;
  }
}
const n = ids.length;
const po = agree / n;
const pe = cats.reduce((s, c) => s + (margA[c] / n) * (margB[c] / n), 0);
const kappa = (po - pe) / (1 - pe);
console.log(`cases compared: ${n}`);
console.log(`category: ${agree}/${n} agree (${pct(agree, n)}), Cohen's kappa ${kappa.toFixed(3)}`);
for (const c of cats)
  console.log(
    `  ${c.padEnd(15)} first ${String(margA[c]).padStart(3)}  second ${String(margB[c]).padStart(3)}`,
  );
for (const [k, v] of Object.entries(confusion)) console.log(`  first -> second: ${k}: ${v}`);

// Queue: over cases where both readings carry a queue.
let qBoth = 0;
let qAgree = 0;
let qOne = 0;
for (const id of ids) {
  const a = A.get(id).queue;
  const b = B.get(id).queue;
  if (a && b) {
    qBoth++;
    if (a === b) qAgree++;
    else disagreeing.queue.push(`${id} (${a} / ${b})`);
  } else if (a || b) {
    qOne++;
    disagreeing.queue.push(`${id} (${a ?? "none"} / ${b ?? "none"})`);
  }
}
console.log(
  `queue: ${qAgree}/${qBoth} agree where both labelled (${pct(qAgree, qBoth)}); labelled by one reading only: ${qOne}`,
);

// Priority: do the acceptable sets intersect? Also how often they are identical.
let pBoth = 0;
let pOverlap = 0;
let pSame = 0;
for (const id of ids) {
  const a = A.get(id).priority;
  const b = B.get(id).priority;
  if (!a || !b) continue;
  pBoth++;
  if (a.some((p) => b.includes(p))) pOverlap++;
  else disagreeing.priority.push(`${id} ([${a}] / [${b}])`);
  if ([...a].sort().join() === [...b].sort().join()) pSame++;
}
console.log(
  `priority: acceptable sets intersect in ${pOverlap}/${pBoth} (${pct(pOverlap, pBoth)}); identical sets ${pSame}/${pBoth} (${pct(pSame, pBoth)})`,
);

// Fields: per field, over cases where both readings labelled it (text compared case-insensitively,
// languages as ISO codes, missing_info as a set).
const perField = {};
for (const id of ids) {
  const fa = A.get(id).fields ?? {};
  const fb = B.get(id).fields ?? {};
  for (const k of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
    perField[k] ??= { both: 0, agree: 0, onlyFirst: 0, onlySecond: 0, diff: [] };
    const s = perField[k];
    if (k in fa && k in fb) {
      s.both++;
      if (norm(k, fa[k]) === norm(k, fb[k])) s.agree++;
      else s.diff.push(`${id} (${JSON.stringify(fa[k])} / ${JSON.stringify(fb[k])})`);
    } else if (k in fa) s.onlyFirst++;
    else s.onlySecond++;
  }
}
let fBoth = 0;
let fAgree = 0;
console.log("fields (agree/both labelled; labelled by first only; by second only):");
for (const [k, s] of Object.entries(perField).sort()) {
  fBoth += s.both;
  fAgree += s.agree;
  console.log(
    `  ${k.padEnd(15)} ${String(s.agree).padStart(3)}/${String(s.both).padEnd(3)} ${pct(s.agree, s.both).padStart(6)}   first only ${String(s.onlyFirst).padStart(3)}   second only ${String(s.onlySecond).padStart(3)}`,
  );
  for (const d of s.diff) disagreeing.fields.push(`${k}: ${d}`);
}
console.log(`  all fields      ${fAgree}/${fBoth} (${pct(fAgree, fBoth)})`);

console.log("\ndisagreeing ids (first / second):");
for (const [kind, list] of Object.entries(disagreeing)) {
  console.log(`${kind} (${list.length}):`);
  for (const d of list) console.log(`  ${d}`);
}
const all = new Set(
  Object.values(disagreeing)
    .flat()
    .map((d) => d.match(/lv1-\d{4}/)[0]),
);
console.log(
  `\n${all.size} ids disagree on category, queue, priority or a field both labelled: ${[...all].sort().join(" ")}`,
);
