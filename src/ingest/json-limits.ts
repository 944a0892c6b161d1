// Limits on what a JSON payload may carry (SPEC §8), checked before anything stores or
// serialises it: a value past them would make a serialiser, the rollup or PostgreSQL fail.

/** Objects and arrays counted together. 64 is far beyond any telemetry; 6,000 overflowed a serialiser. */
export const MAX_JSON_DEPTH = 64;

/**
 * Deepest nesting of `text` (JSON), counted on the text so that a hostile payload is refused
 * before JSON.parse builds it. Brackets inside strings do not count.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** Why a parsed JSON value cannot be kept as sent, or undefined when it can. */
export function unstorableValue(value: unknown, path = ''): string | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${path || 'payload'}: number outside the float64 range`;
  }
  if (typeof value === 'string') {
    return wellFormed(value) ? undefined : `${path || 'payload'}: string with an unpaired surrogate`;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, v] of entries) {
    const at = path ? `${path}.${key}` : key;
    if (!wellFormed(key)) return `${path || 'payload'}: key with an unpaired surrogate`;
    const why = unstorableValue(v, at);
    if (why) return why;
  }
  return undefined;
}

// A string (skipped) or a number token of JSON text.
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * A number that float64 reads as 0 although it is not (`1e-400`), or undefined. It would be
 * stored as sent (jsonb) yet be 0 to every reader, and PostgreSQL's float8 refuses it: the
 * other side of the float64 range from `1e400`. Only exponents or zeros that long can underflow.
 */
export function underflowingNumber(text: string): string | undefined {
  if (!/[eE]-\d{3}|0{300}/.test(text)) return undefined;
  for (const [token] of text.matchAll(TOKEN)) {
    if (token.startsWith('"') || Number(token) !== 0) continue;
    if (/[1-9]/.test(token.split(/[eE]/)[0]!)) return token.length > 40 ? `${token.slice(0, 40)}…` : token;
  }
  return undefined;
}
