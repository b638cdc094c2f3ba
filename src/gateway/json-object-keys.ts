/**
 * The member names of the top-level object of `json`, in order, repeats included: JSON.parse
 * keeps only the last of a repeated name, and `{"a": 1, "a": 2}` must not count 2 silently.
 * `json` must already be known to parse (this scans, it does not validate).
 */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const end = stringEnd(json, i);
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, end + 1)) as string);
      expectKey = false;
      i = end;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      depth++;
      expectKey = depth === 1 && ch === 0x7b;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      depth--;
    } else if (ch === 0x2c /* , */ && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

/** Index of the quote closing the string that opens at `start`. */
function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (ch === 0x5c /* \ */) i++;
    else if (ch === 0x22) return i;
  }
  return json.length - 1;
}
