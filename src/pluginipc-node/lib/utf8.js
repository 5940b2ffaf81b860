'use strict';

const VALID = 0;
const INVALID = 1;
const TRUNCATED = 2;

/**
 * Checks strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) in buf[start, end).
 * Returns VALID, INVALID (can never become valid), or TRUNCATED (valid so far, but the last sequence is cut off).
 */
function checkUtf8(buf, start, end) {
  let i = start;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) { i++; continue; }
    let need;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) { need = 2; lo = 0xa0; }
    else if (b >= 0xe1 && b <= 0xec) need = 2;
    else if (b === 0xed) { need = 2; hi = 0x9f; }
    else if (b >= 0xee && b <= 0xef) need = 2;
    else if (b === 0xf0) { need = 3; lo = 0x90; }
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) { need = 3; hi = 0x8f; }
    else return INVALID;
    for (let k = 1; k <= need; k++) {
      if (i + k >= end) return TRUNCATED;
      const c = buf[i + k];
      if (k === 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xbf)) return INVALID;
    }
    i += need + 1;
  }
  return VALID;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Encodes text as UTF-8, refusing unpaired surrogates (which UTF-8 cannot carry) instead of replacing them. */
function encodeStrict(text, what) {
  if (typeof text !== 'string') throw new TypeError(`${what} must be a string.`);
  if (LONE_SURROGATE.test(text)) throw new TypeError(`${what} holds an unpaired UTF-16 surrogate, which UTF-8 cannot carry.`);
  return Buffer.from(text, 'utf8');
}

module.exports = { checkUtf8, encodeStrict, VALID, INVALID, TRUNCATED };
