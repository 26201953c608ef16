// Runs the standards test vectors through the phone's evaluator.
//
//   node tests/js/run_vectors.mjs <export.json> <vectors-dir>
//
// Prints one line per failing vector, then "N passed, M failed". Exits non-zero on any
// failure, or when no vector ran at all.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { evaluate } from "../../web/static/standards.js";

const NON_FINITE = { NaN, Infinity, "-Infinity": -Infinity };

/**
 * JSON.parse that also reads the NaN / Infinity / -Infinity literals Python's json
 * module writes, so a vector about non-finite numbers reaches the evaluator intact.
 */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    const marker = "\u0000nonfinite:";
    // Replace the bare literals outside strings with marked strings, then revive them.
    const replaced = text.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g,
      (match, literal) => (literal ? JSON.stringify(marker + literal) : match));
    if (replaced === text) throw error;
    return JSON.parse(replaced, (key, value) =>
      typeof value === "string" && value.startsWith(marker)
        ? NON_FINITE[value.slice(marker.length)] : value);
  }
}

function runVector(doc, vector) {
  const expectsError = Object.hasOwn(vector, "expect_error");
  if (!expectsError && !Object.hasOwn(vector, "expect")) return "neither expect nor expect_error";
  let got;
  try {
    got = evaluate(doc, vector.case);
  } catch (error) {
    if (error.name !== "EvaluationError") return `crashed: ${error.stack}`;
    if (!expectsError) return `unexpected error ${error.code} at ${error.field}: ${error.message}`;
    return error.code === vector.expect_error
      ? null : `error ${error.code} (at ${error.field}), expected ${vector.expect_error}`;
  }
  if (expectsError) return `judged ${JSON.stringify(got)}, expected error ${vector.expect_error}`;
  return isDeepStrictEqual(got, vector.expect)
    ? null : `got ${JSON.stringify(got)}, expected ${JSON.stringify(vector.expect)}`;
}

function main([exportPath, vectorsDir]) {
  if (!exportPath || !vectorsDir) {
    console.error("usage: node tests/js/run_vectors.mjs <export.json> <vectors-dir>");
    return 2;
  }
  const doc = parseJson(readFileSync(exportPath, "utf8"));
  let passed = 0;
  let failed = 0;
  const files = readdirSync(vectorsDir).filter((f) => f.endsWith(".jsonl")).sort();
  for (const file of files) {
    const lines = readFileSync(join(vectorsDir, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const where = `${file}:${i + 1}`;
      let problem;
      let name = "?";
      try {
        const vector = parseJson(line);
        name = vector.name;
        problem = runVector(doc, vector);
      } catch (error) {
        problem = `unreadable vector: ${error.message}`;
      }
      if (problem) {
        failed += 1;
        console.log(`FAIL ${where} ${JSON.stringify(name)}: ${problem}`);
      } else {
        passed += 1;
      }
    });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
