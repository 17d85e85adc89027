// How many bits of entropy a device token seems to hold, estimated from the
// string alone (pure). A fast hash is safe only for a secret nobody can guess,
// so device tokens must show at least 128 bits. The estimate:
//
//  - each character is worth log2 of the smallest usual alphabet holding the
//    whole token: digits 10, hex 16 (one case), letters of one case 26, one
//    case and digits 36, letters 52, letters and digits 62, base64 or
//    base64url 64 (trailing `=` padding is worth nothing), printable ASCII 95;
//  - what the string gives away is charged at its price instead: a run of one
//    character or an ascending or descending sequence of 4 or more
//    (`aaaa`, `1234`, `zyxw`), a repeat of 4 or more characters seen earlier
//    (`abcdabcd`), and a common word of 4 letters or more (`password`,
//    `device`, `parking`, ...);
//    Structure worth less than 16 bits in all is what chance leaves in
//    random strings and is not charged;
//  - whitespace is refused outright (a generated token has none: it is a
//    phrase), and so is a UUID (at most 122 random bits).
//
// It stops mistakes (a human password, a device name, a short or patterned
// string); it cannot certify that a long string came from a random
// generator. Generate tokens: newDeviceToken() or `openssl rand -base64 24`
// (192 bits); `openssl rand -hex 16` (exactly 128) passes too.

/** The least a device token must show. */
export const MIN_TOKEN_BITS = 128;

/** How to make a good token, for messages. */
export const TOKEN_HINT = 'generate one, e.g. `openssl rand -base64 24` (192 random bits)';

const ALPHABETS: ReadonlyArray<readonly [size: number, test: RegExp]> = [
  [10, /^[0-9]+$/],
  [16, /^[0-9a-f]+$/],
  [16, /^[0-9A-F]+$/],
  [26, /^[a-z]+$/],
  [26, /^[A-Z]+$/],
  [36, /^[a-z0-9]+$/],
  [36, /^[A-Z0-9]+$/],
  [52, /^[A-Za-z]+$/],
  [62, /^[A-Za-z0-9]+$/],
  [64, /^[A-Za-z0-9_-]+$/],
  [64, /^[A-Za-z0-9+/]+$/],
];

/** Words people put in secrets; each found costs log2(list size) + 1 bits (its case). */
const WORDS = [
  'password', 'passwd', 'pass', 'secret', 'admin', 'root', 'user', 'login', 'test', 'demo', 'default', 'changeme', 'letmein',
  'welcome', 'qwerty', 'asdf', 'zxcv', 'iloveyou', 'dragon', 'monkey', 'master', 'hello', 'shadow', 'sunshine', 'princess',
  'football', 'baseball', 'superman', 'batman', 'trustno1', 'summer', 'winter', 'spring', 'autumn', 'token', 'access', 'private',
  'parking', 'park', 'device', 'sensor', 'gate', 'slot', 'level', 'mall', 'mqtt', 'broker', 'raspberry', 'camera',
].sort((a, b) => b.length - a.length);
const WORD_BITS = Math.log2(WORDS.length) + 1;
const MIN_PATTERN = 4;
const CHANCE_BITS = 16;
/** Longer tokens gain nothing and would make the estimate slow (it is quadratic). */
export const MAX_TOKEN_LENGTH = 256;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function alphabetSize(text: string): number {
  for (const [size, test] of ALPHABETS) if (test.test(text)) return size;
  return 95;
}

/** Length of the run (same character, or code points stepping by +1 or -1) starting at `i`. */
function runLength(text: string, i: number): number {
  if (i + 1 >= text.length) return 1;
  const step = text.charCodeAt(i + 1) - text.charCodeAt(i);
  if (Math.abs(step) > 1) return 1;
  let end = i + 1;
  while (end + 1 < text.length && text.charCodeAt(end + 1) - text.charCodeAt(end) === step) end += 1;
  return end - i + 1;
}

/** Length of the longest earlier copy of the text starting at `i` (the copy may overlap it). */
function repeatLength(text: string, i: number): number {
  let best = 0;
  for (let j = 0; j < i; j += 1) {
    let k = 0;
    while (i + k < text.length && text[j + k] === text[i + k]) k += 1;
    if (k > best) best = k;
  }
  return best;
}

function wordAt(lower: string, i: number): string | undefined {
  return WORDS.find((word) => lower.startsWith(word, i));
}

/** Estimated bits of entropy of a secret (see the top of this file). */
export function estimateBits(secret: string): number {
  const text = secret.replace(/=+$/, '');
  if (text === '') return 0;
  const perChar = Math.log2(alphabetSize(text));
  const lower = text.toLowerCase();
  let bits = 0;
  for (let i = 0; i < text.length; ) {
    const run = runLength(text, i);
    const repeat = repeatLength(text, i);
    const word = wordAt(lower, i);
    const options: Array<[length: number, cost: number]> = [[1, perChar]];
    if (run >= MIN_PATTERN) options.push([run, perChar + Math.log2(3) + Math.log2(run)]);
    if (repeat >= MIN_PATTERN) options.push([repeat, Math.log2(i) + Math.log2(repeat)]);
    if (word) options.push([word.length, WORD_BITS]);
    // Take what explains the most characters; at equal length the cheaper.
    const [length, cost] = options.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] < a[1]) ? b : a));
    bits += Math.min(cost, length * perChar);
    i += length;
  }
  // A random string holds a short pattern now and then (a 4-character run in 1 of 50 hex tokens):
  // structure worth less than CHANCE_BITS in all is not charged.
  const nominal = text.length * perChar;
  return nominal - bits < CHANCE_BITS ? nominal : bits;
}

/** Why `token` is no good as a device token, or undefined when it is. */
export function deviceTokenProblem(token: string): string | undefined {
  if (token === '') return `a device token must not be empty: ${TOKEN_HINT}`;
  if (token.length > MAX_TOKEN_LENGTH) return `a device token is at most ${MAX_TOKEN_LENGTH} characters: ${TOKEN_HINT}`;
  if (/\s/.test(token)) return `a device token has no spaces or line breaks (a phrase is not random): ${TOKEN_HINT}`;
  if (UUID.test(token)) return `a UUID holds at most 122 random bits, a device token needs ${MIN_TOKEN_BITS}: ${TOKEN_HINT}`;
  const bits = estimateBits(token);
  if (bits < MIN_TOKEN_BITS) return `a device token needs at least ${MIN_TOKEN_BITS} bits of entropy, this one shows about ${Math.floor(bits)}: ${TOKEN_HINT}`;
  return undefined;
}
