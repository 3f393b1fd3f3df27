/**
 * Randomised robustness checks with a fixed seed (reproducible, bounded to a few seconds):
 * mutated DTBs and mutated DTS sources go through both Tessera and dtc. Tessera must never throw
 * anything but its own error types, and whenever both accept an input their outputs must agree.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { DtbError, DtsError, TreeCheckError, dtbToDts, dtsToDtb, OverlayError } from "../../src/devicetree/index.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NO_DTC, corpusRoot, dtcDtsToDtb, listFiles, runDtc, seededRandom } from "./oracle.js";
import { SYNTAX_CASES } from "./syntax-cases.js";

const SEED = 0x7e55e7a;

function isExpectedError(error: unknown): boolean {
  return error instanceof DtbError || error instanceof DtsError || error instanceof TreeCheckError || error instanceof OverlayError;
}

function mutateBytes(input: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(random() * n);
  let bytes = input.slice();
  // Mostly a single small change so that a fair share of inputs stays valid and outputs get compared.
  const mutations = random() < 0.7 ? 1 : 1 + pick(3);
  for (let i = 0; i < mutations; i++) {
    switch (random() < 0.5 ? 0 : pick(6)) {
      case 0: // flip one byte anywhere
        bytes[pick(bytes.length)] = pick(256);
        break;
      case 1: // truncate
        bytes = bytes.slice(0, pick(bytes.length));
        break;
      case 2: { // corrupt a header field (offsets, sizes, version)
        const field = 4 + 4 * pick(9);
        if (field + 4 <= bytes.length) new DataView(bytes.buffer, bytes.byteOffset).setUint32(field, random() < 0.5 ? pick(bytes.length * 2) : Math.floor(random() * 0xffffffff));
        break;
      }
      case 3: { // corrupt a word in the structure block: tokens, lengths, name offsets
        const offset = (pick(bytes.length >> 2) << 2);
        if (offset + 4 <= bytes.length) new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, [1, 2, 3, 4, 9, 0xffffffff, pick(64)][pick(7)]);
        break;
      }
      case 4: // zero a run
        bytes.fill(0, pick(bytes.length), pick(bytes.length));
        break;
      default: // random garbage after a valid header magic
        if (bytes.length > 8) bytes[8 + pick(bytes.length - 8)] ^= 1 << pick(8);
    }
  }
  return bytes;
}

test("fuzz: mutated DTBs give dtc's text or a clean error", { skip: NO_DTC }, () => {
  const random = seededRandom(SEED);
  const seeds = Object.values(SYNTAX_CASES).map((source) => dtcDtsToDtb(source));
  // Real blobs are mostly property data, so their mutants are often still valid and get compared.
  const corpus = listFiles(join(corpusRoot(), "linux-image"), ".dtb");
  for (let i = 0; i < corpus.length && i < 40; i += 5) seeds.push(readFileSync(corpus[i]));
  let bothAccepted = 0;
  let bothRejected = 0;
  const disagreements: string[] = [];
  for (let round = 0; round < 300; round++) {
    const input = mutateBytes(seeds[round % seeds.length], random);
    let ours: string | Error;
    try {
      ours = dtbToDts(input);
    } catch (error) {
      if (!isExpectedError(error)) throw new Error(`round ${round}: unexpected ${(error as Error).stack}`);
      ours = error as Error;
    }
    const theirs = runDtc(["-q", "-I", "dtb", "-O", "dts", "-"], input);
    if (theirs.status === 0 && !(ours instanceof Error)) {
      bothAccepted++;
      if (ours !== theirs.stdout.toString("latin1")) disagreements.push(`round ${round}: text differs`);
    } else if (theirs.status !== 0 && ours instanceof Error) bothRejected++;
    else if (theirs.status === 0) disagreements.push(`round ${round}: dtc accepted, Tessera said: ${(ours as Error).message}`);
    else if (theirs.status > 128 || theirs.status < 0) bothRejected++; // dtc crashed (e.g. assertion); Tessera's answer stands
    else disagreements.push(`round ${round}: dtc rejected (${theirs.stderr.trim().split("\n").pop()}), Tessera accepted`);
  }
  assert.deepEqual(disagreements, []);
  assert.ok(bothAccepted >= 10 && bothRejected >= 10, `too little variety: ${bothAccepted} accepted, ${bothRejected} rejected`);
});

/** DTS mutations: delete, duplicate or swap characters and tokens. */
function mutateSource(source: string, random: () => number): string {
  const pick = (n: number): number => Math.floor(random() * n);
  let text = source;
  const alphabet = ['{', '}', ';', '<', '>', '[', ']', '"', "'", '&', '/', ':', '=', ',', '(', ')', '-', '0x', '1', 'a', '@', '#', '\\', '\n', ' ', '/delete-node/', '/bits/ 16', '&{/', '/*', '//'];
  const mutations = 1 + pick(3);
  for (let i = 0; i < mutations; i++) {
    const at = pick(text.length + 1);
    switch (pick(4)) {
      case 0:
        text = text.slice(0, at) + text.slice(at + 1 + pick(4));
        break;
      case 1:
        text = text.slice(0, at) + alphabet[pick(alphabet.length)] + text.slice(at);
        break;
      case 2: {
        const from = pick(text.length);
        text = text.slice(0, at) + text.slice(from, from + pick(12)) + text.slice(at);
        break;
      }
      default:
        text = text.slice(0, at) + String.fromCharCode(pick(128)) + text.slice(at + 1);
    }
  }
  return text;
}

test("fuzz: mutated DTS sources give dtc's blob or a clean error", { skip: NO_DTC }, () => {
  const random = seededRandom(SEED + 1);
  const seeds = Object.values(SYNTAX_CASES);
  let bothAccepted = 0;
  let bothRejected = 0;
  const disagreements: string[] = [];
  for (let round = 0; round < 300; round++) {
    const source = mutateSource(seeds[round % seeds.length], random);
    let ours: Uint8Array | Error;
    try {
      ours = dtsToDtb(source, { fileName: "<stdin>" });
    } catch (error) {
      if (!isExpectedError(error)) throw new Error(`round ${round}: unexpected ${(error as Error).stack}\n--- input ---\n${source}`);
      ours = error as Error;
    }
    const theirs = runDtc(["-q", "-I", "dts", "-O", "dtb", "-"], Buffer.from(source, "latin1"));
    if (theirs.status === 0 && !(ours instanceof Error)) {
      bothAccepted++;
      if (Buffer.compare(Buffer.from(ours), theirs.stdout) !== 0) disagreements.push(`round ${round}: blob differs\n${source}`);
    } else if (theirs.status !== 0 && ours instanceof Error) bothRejected++;
    else if (theirs.status === 0) disagreements.push(`round ${round}: dtc accepted, Tessera said: ${(ours as Error).message}\n${source}`);
    else if (theirs.status > 128 || theirs.status < 0) bothRejected++;
    else disagreements.push(`round ${round}: dtc rejected (${theirs.stderr.trim()}), Tessera accepted\n${source}`);
  }
  assert.deepEqual(disagreements, []);
  assert.ok(bothAccepted > 20 && bothRejected > 20, `too little variety: ${bothAccepted} accepted, ${bothRejected} rejected`);
});

test("fuzz: random bytes never escape as unexpected exceptions", () => {
  const random = seededRandom(SEED + 2);
  for (let round = 0; round < 2000; round++) {
    const length = Math.floor(random() * 200);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
    if (round % 2 === 0 && length >= 4) new DataView(bytes.buffer).setUint32(0, 0xd00dfeed);
    for (const run of [() => dtbToDts(bytes), () => dtsToDtb(bytes)]) {
      try {
        run();
      } catch (error) {
        if (!isExpectedError(error)) throw new Error(`round ${round}: unexpected ${(error as Error).stack}`);
      }
    }
  }
});

test("fuzz: syntax errors are reported at the line and column dtc reports", { skip: NO_DTC }, () => {
  const random = seededRandom(SEED + 3);
  const pick = (n: number): number => Math.floor(random() * n);
  const alphabet = ["{", "}", ";", "<", ">", "[", "]", '"', "'", "&", "/", ":", "=", ",", "(", ")", "-", "0x", "1", "a", "@", "#", "\\", "\n", " "];
  const seeds = Object.values(SYNTAX_CASES);
  let compared = 0;
  const mismatches: string[] = [];
  for (let round = 0; round < 300; round++) {
    const seed = seeds[round % seeds.length];
    const at = pick(seed.length);
    const source = seed.slice(0, at) + alphabet[pick(alphabet.length)] + seed.slice(at + (random() < 0.5 ? 1 : 0));
    const theirs = runDtc(["-q", "-I", "dts", "-O", "dtb", "-"], Buffer.from(source, "latin1"));
    // dtc: "Error: <stdin>:LINE.COL-… syntax error"; Tessera: "<stdin>:LINE:COL: syntax error: …"
    const expected = /Error: <stdin>:(\d+)\.(\d+)\S* syntax error/.exec(theirs.stderr);
    if (!expected) continue;
    let message = "";
    try {
      dtsToDtb(source, { fileName: "<stdin>" });
    } catch (error) {
      if (!isExpectedError(error)) throw error;
      message = (error as Error).message;
    }
    compared++;
    const actual = /<stdin>:(\d+):(\d+): syntax error/.exec(message);
    if (!actual || actual[1] !== expected[1] || actual[2] !== expected[2]) mismatches.push(`round ${round}: dtc ${expected[1]}.${expected[2]}, Tessera "${message}"`);
  }
  assert.ok(compared > 50, `only ${compared} syntax errors produced`);
  assert.deepEqual(mismatches, []);
});
