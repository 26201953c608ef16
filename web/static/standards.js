// The phone's standards evaluator: judges a case against the export document served
// by GET /api/standards, with the same rules, results and error codes as the Python
// engine (docs/standards-format.md). Plain ES module, no dependencies.
//
// Every lookup of a key that comes from input goes through Object.hasOwn, so keys such
// as "__proto__" or "constructor" are just unknown keys, never inherited properties.

const CASE_KEYS = ["category", "observations", "defects", "not_applicable"];
const AREA_FIELD = "area_m2";

const MESSAGES = {
  bad_case: (f) => ({
    en: f ? `Unexpected key "${f}" in the case.` : "The case must be an object.",
    zh: f ? `案例中有未知的键“${f}”。` : "案例必须是一个对象。",
  }),
  missing_category: () => ({ en: "The case has no category.", zh: "案例缺少类别。" }),
  unknown_category: (f, v) => ({
    en: `Unknown category ${JSON.stringify(v)}.`,
    zh: `未知的类别 ${JSON.stringify(v)}。`,
  }),
  bad_observations: () => ({
    en: "observations must be an object.",
    zh: "observations 必须是一个对象。",
  }),
  unknown_observation: (f) => ({
    en: `${f} is not an observation of this category.`,
    zh: `${f} 不是该类别的观测项。`,
  }),
  bad_type: (f, v, spec) => ({
    en: spec.type === "boolean"
      ? `${f} must be true or false.`
      : `${f} must be a finite number.`,
    zh: spec.type === "boolean" ? `${f} 必须是 true 或 false。` : `${f} 必须是有限的数字。`,
  }),
  out_of_range: (f, v, spec) => ({
    en: `${f} is ${v}, outside ${rangeText(spec)}.`,
    zh: `${f} 为 ${v}，超出范围 ${rangeText(spec)}。`,
  }),
  bad_defects: (f) => ({
    en: f === "defects"
      ? "defects must be a list (and empty for a category without damage types)."
      : `${f} must be an object.`,
    zh: f === "defects" ? "defects 必须是列表（无损坏类型的类别须为空）。" : `${f} 必须是一个对象。`,
  }),
  missing_damage_type: (f) => ({ en: `${f} is missing.`, zh: `缺少 ${f}。` }),
  unknown_damage_type: (f, v) => ({
    en: `Unknown damage type ${JSON.stringify(v)} at ${f}.`,
    zh: `${f} 的损坏类型 ${JSON.stringify(v)} 未定义。`,
  }),
  unknown_damage_field: (f) => ({
    en: `${f} is not a field of this damage type.`,
    zh: `${f} 不是该损坏类型的字段。`,
  }),
  bad_not_applicable: () => ({
    en: "not_applicable must be a list of clause ids.",
    zh: "not_applicable 必须是条款编号的列表。",
  }),
  unknown_clause: (f, v) => ({
    en: `Unknown clause ${JSON.stringify(v)} at ${f}.`,
    zh: `${f} 的条款 ${JSON.stringify(v)} 不存在。`,
  }),
};

function rangeText(spec) {
  const unit = spec.unit ? ` ${spec.unit}` : "";
  return `${spec.min ?? "-∞"}–${spec.max ?? "∞"}${unit}`;
}

/**
 * Bad input, refused and never judged.
 * @property {string} code      stable code from the contract, e.g. "out_of_range"
 * @property {string} field   dotted path at fault, e.g. "defects[2].depth_mm"; "" for the case itself
 * @property {{en: string, zh: string}} messages
 */
export class EvaluationError extends Error {
  /**
   * @param {string} code
   * @param {string} field
   * @param {*} [value] the offending value, used in the message only
   * @param {object} [spec] the observation or field spec, used in the message only
   */
  constructor(code, field, value, spec) {
    const messages = MESSAGES[code](field, value, spec || {});
    super(messages.en);
    this.name = "EvaluationError";
    this.code = code;
    this.field = field;
    this.messages = messages;
  }
}

const isPlainObject = (v) =>
  typeof v === "object" && v !== null && !Array.isArray(v) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(v));

const optional = (obj, key, empty) =>
  Object.hasOwn(obj, key) && obj[key] !== null ? obj[key] : empty;

/** The value checked against its spec; an EvaluationError or null. null is "missing". */
function checkValue(spec, value, field) {
  if (value === null) return null;
  if (spec.type === "boolean") {
    return typeof value === "boolean" ? null : new EvaluationError("bad_type", field, value, spec);
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return new EvaluationError("bad_type", field, value, spec);
  }
  const below = typeof spec.min === "number" && value < spec.min;
  const above = typeof spec.max === "number" && value > spec.max;
  return below || above ? new EvaluationError("out_of_range", field, value, spec) : null;
}

/**
 * Checks one observation as the inspection form enters it.
 * @param {object} categoryDoc one entry of the export document's `categories`
 * @param {string} key   observation key, e.g. "dead_foliage_pct"
 * @param {*} value      null means "not observed" and is always accepted
 * @returns {EvaluationError|null} the error (returned, not thrown), or null when fine
 */
export function validateObservation(categoryDoc, key, value) {
  const field = `observations.${key}`;
  const specs = categoryDoc.observations || {};
  if (!Object.hasOwn(specs, key)) return new EvaluationError("unknown_observation", field);
  return checkValue(specs[key], value, field);
}

/**
 * Checks one damage instance of a road or sidewalk case.
 * @param {object} categoryDoc one entry of the export document's `categories`
 * @param {object} defect  e.g. {type: "pothole", depth_mm: 25, area_m2: 0.4}
 * @param {number} index   its position in `defects`, for the error's field path
 * @returns {EvaluationError|null} the error (returned, not thrown), or null when fine
 */
export function validateDefect(categoryDoc, defect, index) {
  const at = `defects[${index}]`;
  if (!isPlainObject(defect)) return new EvaluationError("bad_defects", at);
  if (!Object.hasOwn(defect, "type") || defect.type === null) {
    return new EvaluationError("missing_damage_type", `${at}.type`);
  }
  const types = categoryDoc.damage_types || {};
  if (typeof defect.type !== "string" || !Object.hasOwn(types, defect.type)) {
    return new EvaluationError("unknown_damage_type", `${at}.type`, defect.type);
  }
  const fields = types[defect.type].fields || {};
  for (const key of Object.keys(defect)) {
    if (key === "type") continue;
    const field = `${at}.${key}`;
    if (!Object.hasOwn(fields, key)) return new EvaluationError("unknown_damage_field", field);
    const error = checkValue(fields[key], defect[key], field);
    if (error) return error;
  }
  return null;
}

/**
 * Validates a whole case; throws EvaluationError on bad input.
 * @returns {{category: string, categoryDoc: object, observations: object,
 *            defects: object[], notApplicable: Set<string>}}
 */
function parseCase(standardsDocument, kase) {
  if (!isPlainObject(kase)) throw new EvaluationError("bad_case", "");
  for (const key of Object.keys(kase)) {
    if (!CASE_KEYS.includes(key)) throw new EvaluationError("bad_case", key);
  }
  const category = optional(kase, "category", null);
  if (category === null) throw new EvaluationError("missing_category", "category");
  const categories = standardsDocument.categories;
  if (typeof category !== "string" || !Object.hasOwn(categories, category)) {
    throw new EvaluationError("unknown_category", "category", category);
  }
  const categoryDoc = categories[category];

  // observations, defects and not_applicable: absent or null reads as empty.
  const observations = optional(kase, "observations", {});
  if (!isPlainObject(observations)) throw new EvaluationError("bad_observations", "observations");
  for (const key of Object.keys(observations)) {
    const error = validateObservation(categoryDoc, key, observations[key]);
    if (error) throw error;
  }

  const defects = optional(kase, "defects", []);
  const hasDamageTypes = Object.keys(categoryDoc.damage_types || {}).length > 0;
  if (!Array.isArray(defects) || (!hasDamageTypes && defects.length > 0)) {
    throw new EvaluationError("bad_defects", "defects");
  }
  defects.forEach((defect, i) => {
    const error = validateDefect(categoryDoc, defect, i);
    if (error) throw error;
  });

  const notApplicable = optional(kase, "not_applicable", []);
  if (!Array.isArray(notApplicable)) throw new EvaluationError("bad_not_applicable", "not_applicable");
  const clauseIds = categoryDoc.clauses.map((c) => c.id);
  notApplicable.forEach((id, i) => {
    if (typeof id !== "string") throw new EvaluationError("bad_not_applicable", `not_applicable[${i}]`);
    if (!clauseIds.includes(id)) {
      throw new EvaluationError("unknown_clause", `not_applicable[${i}]`, id);
    }
  });
  return { category, categoryDoc, observations, defects, notApplicable: new Set(notApplicable) };
}

// --- three-valued logic: true, false, or null (unknown) ---------------------------

/** A condition value: a number, a boolean, or a fraction string "a/b". */
function conditionValue(v) {
  if (typeof v === "string") {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(v);
    if (!m) throw new Error(`standards document: bad condition value ${JSON.stringify(v)}`);
    return Number(m[1]) / Number(m[2]);
  }
  return v;
}

function compare(left, op, right) {
  if (typeof left === "boolean" || typeof right === "boolean") {
    if (op !== "==") throw new Error(`standards document: booleans compare only with ==`);
    return left === right;
  }
  switch (op) {
    case "<=": return left <= right;
    case "<": return left < right;
    case ">=": return left >= right;
    case ">": return left > right;
    case "==": return left === right;
    default: throw new Error(`standards document: unknown operator ${JSON.stringify(op)}`);
  }
}

/** Kleene and/or over parts already judged. */
const kleeneAll = (parts) => (parts.includes(false) ? false : parts.includes(null) ? null : true);
const kleeneAny = (parts) => (parts.includes(true) ? true : parts.includes(null) ? null : false);

/**
 * Judges a condition. `lookup(kind, key)` returns the value or null when missing.
 * @returns {boolean|null}
 */
function judge(cond, lookup, damageArea) {
  if (Object.hasOwn(cond, "all")) return kleeneAll(cond.all.map((c) => judge(c, lookup, damageArea)));
  if (Object.hasOwn(cond, "any")) return kleeneAny(cond.any.map((c) => judge(c, lookup, damageArea)));
  if (Object.hasOwn(cond, "damage_area")) return damageArea(cond.damage_area);
  const kind = Object.hasOwn(cond, "obs") ? "obs" : Object.hasOwn(cond, "field") ? "field" : null;
  if (kind === null) throw new Error(`standards document: bad condition ${JSON.stringify(cond)}`);
  const left = lookup(kind, cond[kind]);
  return left === null ? null : compare(left, cond.op, conditionValue(cond.value));
}

/** Does a damage instance count? true, false or null (unknown). */
function defectCounts(categoryDoc, defect) {
  const countsWhen = categoryDoc.damage_types[defect.type].counts_when;
  if (countsWhen === "always") return true;
  const lookup = (kind, key) => {
    if (kind !== "field") throw new Error("standards document: counts_when may only use field");
    return Object.hasOwn(defect, key) ? defect[key] : null;
  };
  return judge(countsWhen, lookup, () => {
    throw new Error("standards document: damage_area inside counts_when");
  });
}

/** The damage_area comparison over the case's instances: true, false or null. */
function judgeDamageArea(categoryDoc, defects, { op, value }) {
  let sum = 0;
  let uncertain = false;
  for (const defect of defects) {
    const counts = defectCounts(categoryDoc, defect);
    if (counts === null) uncertain = true;
    if (counts !== true) continue;
    const area = Object.hasOwn(defect, AREA_FIELD) ? defect[AREA_FIELD] : null;
    if (area === null) uncertain = true;
    else sum += area;
  }
  // Quantised with the same operations as the Python engine, so 0.1 + 0.2 + 0.7 is 1.
  const quantised = Math.floor(sum * 1e6 + 0.5) / 1e6;
  const holds = compare(quantised, op, conditionValue(value));
  // Unknown instances can only add area: a known sum already over the limit is a fail.
  return uncertain && holds ? null : holds;
}

function judgeParsed(parsed, clause) {
  if (parsed.notApplicable.has(clause.id)) return "n/a";
  const { categoryDoc, observations, defects } = parsed;
  const lookup = (kind, key) => {
    if (kind !== "obs") throw new Error("standards document: field outside counts_when");
    const spec = categoryDoc.observations[key];
    if (!spec) throw new Error(`standards document: undefined observation ${key}`);
    const value = Object.hasOwn(observations, key) ? observations[key] : null;
    // An exemption flag that is not recorded reads as false.
    return value === null && spec.exemption === true ? false : value;
  };
  const damageArea = (cond) => judgeDamageArea(categoryDoc, defects, cond);
  const passes = judge(clause.pass_when, lookup, damageArea);
  if (passes === true) return "pass";
  if (passes === null) return "unknown";
  const exempt = clause.exempt_when ? judge(clause.exempt_when, lookup, damageArea) : false;
  return exempt === true ? "exempt" : "fail";
}

/**
 * Judges a case, like one line of `python -m standards evaluate`.
 * @param {object} standardsDocument the export document (GET /api/standards)
 * @param {{category: string, observations?: object, defects?: object[],
 *          not_applicable?: string[]}} kase
 * @returns {{category: string, compliant: boolean|null,
 *            clauses: Object<string, "pass"|"fail"|"exempt"|"n/a"|"unknown">}}
 *          clauses in the category's clause order
 * @throws {EvaluationError} on bad input
 */
export function evaluate(standardsDocument, kase) {
  const parsed = parseCase(standardsDocument, kase);
  const results = parsed.categoryDoc.clauses.map((c) => [c.id, judgeParsed(parsed, c)]);
  const values = results.map(([, r]) => r);
  const compliant = values.includes("fail") ? false : values.includes("unknown") ? null : true;
  // fromEntries defines own properties, so no clause id can reach a prototype.
  return { category: parsed.category, compliant, clauses: Object.fromEntries(results) };
}

/**
 * Judges one clause, for the form to show a verdict as the inspector types.
 * The whole case is validated first, exactly as evaluate() does.
 * @param {object} standardsDocument the export document
 * @param {string} category   e.g. "green_space"
 * @param {string} clauseId   e.g. "GS-1"
 * @param {object} [observations]
 * @param {object[]} [defects]
 * @param {string[]} [notApplicable]
 * @returns {"pass"|"fail"|"exempt"|"n/a"|"unknown"}
 * @throws {EvaluationError} on bad input, or unknown_clause for a clause id not in the category
 */
export function judgeClause(standardsDocument, category, clauseId, observations = {},
  defects = [], notApplicable = []) {
  const parsed = parseCase(standardsDocument,
    { category, observations, defects, not_applicable: notApplicable });
  const clause = parsed.categoryDoc.clauses.find((c) => c.id === clauseId);
  if (!clause) throw new EvaluationError("unknown_clause", "clause", clauseId);
  return judgeParsed(parsed, clause);
}
