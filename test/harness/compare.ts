/**
 * Byte-exact comparison of two UART transcripts with a readable report
 * of the first difference.
 */

function printable(s: string): string {
  return JSON.stringify(s);
}

/**
 * Returns null when the outputs are identical, otherwise a multi-line
 * description: first differing line (1-based), both versions, a little
 * preceding context and the byte offset.
 */
export function describeDifference(expected: Buffer, actual: Buffer, labels = { expected: "qemu", actual: "tessera" }): string | null {
  if (expected.equals(actual)) return null;
  let offset = 0;
  const n = Math.min(expected.length, actual.length);
  while (offset < n && expected[offset] === actual[offset]) offset++;
  const expLines = expected.toString("latin1").split("\n");
  const actLines = actual.toString("latin1").split("\n");
  let line = 0;
  while (line < expLines.length && line < actLines.length && expLines[line] === actLines[line]) line++;
  const out: string[] = [];
  out.push(`outputs differ at byte ${offset} (line ${line + 1}); ${labels.expected} wrote ${expected.length} bytes, ${labels.actual} wrote ${actual.length}`);
  for (let i = Math.max(0, line - 3); i < line; i++) out.push(`    ${String(i + 1).padStart(4)}   ${printable(expLines[i] ?? "")}`);
  const w = Math.max(labels.expected.length, labels.actual.length);
  out.push(`  ${labels.expected.padEnd(w)} ${String(line + 1).padStart(4)}: ${line < expLines.length ? printable(expLines[line]!) : "<end of output>"}`);
  out.push(`  ${labels.actual.padEnd(w)} ${String(line + 1).padStart(4)}: ${line < actLines.length ? printable(actLines[line]!) : "<end of output>"}`);
  return out.join("\n");
}

/** Last few lines of an output, for context when a run failed. */
export function tail(buf: Buffer | string, lines = 8): string {
  const s = typeof buf === "string" ? buf : buf.toString("latin1");
  const all = s.split("\n");
  return all.slice(Math.max(0, all.length - lines)).join("\n");
}
