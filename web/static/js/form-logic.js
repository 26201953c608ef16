// The inspection form's logic without the page: reading typed values and judging them
// live with the standards evaluator. Plain ES module, runs in the browser and under node
// (tests/js/form_logic.test.mjs). The record bodies are built in records.js.

import { evaluate, validateDefect, validateObservation, EvaluationError } from "../standards.js";

/** A typed number: null when empty, NaN when not a number. */
export function parseNumber(text) {
  const trimmed = String(text ?? "").trim().replace(",", ".");
  if (trimmed === "") return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : NaN;
}

/** "compliant" | "non_compliant" | "undetermined" from the evaluator's `compliant`. */
export function verdictOf(compliant) {
  if (compliant === true) return "compliant";
  if (compliant === false) return "non_compliant";
  return "undetermined";
}

const messagesOf = (error) => error instanceof EvaluationError ? error.messages : { en: String(error), zh: String(error) };

/**
 * Judges what the form holds, clause by clause, while it is being filled in.
 *
 * Unlike `evaluate`, one bad value does not stop the rest: each value is checked on its
 * own, a bad one is reported (by its dotted field, e.g. "defects[1].depth_mm") and
 * left out, so the clauses that need it read "unknown" and every other clause still shows.
 * A damage instance without a type is reported and left out too.
 *
 * @param {object} doc        the standards export document
 * @param {string} category
 * @param {{observations: object, damages: object[], notApplicable: string[]}} state
 *        values as typed: numbers (NaN for text that is not one), booleans, or null
 * @returns {{clauses: object, compliant: (boolean|null), errors: {field: string, code: string, messages: {en: string, zh: string}}[]}}
 */
export function judgeLive(doc, category, state) {
  const categoryDoc = doc.categories[category];
  const errors = [];
  const observations = {};
  for (const [key, value] of Object.entries(state.observations || {})) {
    if (value === null || value === undefined) continue;
    const error = validateObservation(categoryDoc, key, value);
    if (error) errors.push({ field: error.field, code: error.code, messages: error.messages });
    else observations[key] = value;
  }
  const defects = [];
  (state.damages || []).forEach((damage, index) => {
    const kept = cleanDamage(categoryDoc, damage, index, errors);
    if (kept) defects.push(kept);
  });
  try {
    const result = evaluate(doc, {
      category, observations, defects, not_applicable: state.notApplicable || [],
    });
    return { clauses: result.clauses, compliant: result.compliant, errors };
  } catch (error) {
    // Only reachable if the document itself is inconsistent; show every clause as unknown.
    errors.push({ field: error.field ?? "", code: error.code ?? "error", messages: messagesOf(error) });
    const clauses = Object.fromEntries(categoryDoc.clauses.map((c) => [c.id, "unknown"]));
    return { clauses, compliant: null, errors };
  }
}

// The instance with its valid values only (null when it has no usable type).
function cleanDamage(categoryDoc, damage, index, errors) {
  const typeError = validateDefect(categoryDoc, { type: damage.type ?? null }, index);
  if (typeError) {
    errors.push({ field: typeError.field, code: typeError.code, messages: typeError.messages });
    return null;
  }
  const kept = { type: damage.type };
  for (const [key, value] of Object.entries(damage)) {
    if (key === "type" || value === null || value === undefined) continue;
    const error = validateDefect(categoryDoc, { type: damage.type, [key]: value }, index);
    if (error) errors.push({ field: error.field, code: error.code, messages: error.messages });
    else kept[key] = value;
  }
  return kept;
}
