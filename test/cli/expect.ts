/** Assertions shared by the CLI tests. */
import assert from "node:assert/strict";
import type { SpawnSyncReturns } from "node:child_process";

/**
 * The project's promise for bad input: exit status 2 and exactly one line on stderr, of the
 * form "tessera: <problem>", never a stack trace.
 */
export function expectOneLineError(r: SpawnSyncReturns<string>, pattern: RegExp, what: string): void {
  assert.equal(r.status, 2, `exit status for ${what}: ${r.stderr}`);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line expected, got: ${r.stderr}`);
  assert.match(lines[0], /^tessera: /);
  assert.match(lines[0], pattern);
}
