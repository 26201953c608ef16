// Runs the rounds vectors (tests/rounds_vectors/*.jsonl) through the phone's due list.
//
//   node tests/js/run_rounds_vectors.mjs <vectors-dir>
//
// Prints one line per failing vector, then "N passed, M failed"; exits non-zero on any
// failure or when no vector ran. Each vector: {name, input, expect: {today, counts, items:
// [[code, state, due_on, round_ends, emergency_id]]}} (the same check as tests/test_rounds_schedule.py).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { dueList } from "../../web/static/js/rounds-logic.js";

export function summarise(got) {
  return {
    today: got.today,
    counts: got.counts,
    items: got.items.map((i) => [i.code, i.state, i.due_on, i.round_ends, i.emergency_id]),
  };
}

function main([dir]) {
  let passed = 0;
  let failed = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
    const lines = readFileSync(join(dir, file), "utf8").split("\n");
    lines.forEach((line, n) => {
      if (!line.trim()) return;
      const vector = JSON.parse(line);
      let problem = null;
      try {
        const got = summarise(dueList(vector.input));
        if (!isDeepStrictEqual(got, vector.expect)) problem = `got ${JSON.stringify(got)}, expected ${JSON.stringify(vector.expect)}`;
      } catch (error) {
        problem = `crashed: ${error.stack}`;
      }
      if (problem) { failed++; console.log(`${file}:${n + 1} ${vector.name}: ${problem}`); } else passed++;
    });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed || !passed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
