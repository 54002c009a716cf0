import { RE2JS } from 're2js';

/**
 * The regular expressions of rules, run by RE2JS (a JavaScript port of RE2): matching takes time
 * linear in the text whatever the pattern, so a rule like ^(a+)+$ cannot stall the node. RE2 has
 * no backreferences and no lookaround; such a pattern is refused when the rule is saved.
 * Applied case-insensitively and unanchored, like JavaScript's /pattern/i.test(text).
 */
export interface Pattern {
  test(text: string): boolean;
}

const compiled = new Map<string, Pattern>();
const CACHE_LIMIT = 512;

/** Compiles (once) a pattern; throws with RE2's reason when the pattern is not one RE2 runs. */
export function compilePattern(pattern: string): Pattern {
  let found = compiled.get(pattern);
  if (!found) {
    const re = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    found = { test: (text) => re.matcher(text).find() };
    if (compiled.size >= CACHE_LIMIT) compiled.clear();
    compiled.set(pattern, found);
  }
  return found;
}

/** Why a pattern cannot be used, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^error parsing regexp: /, '');
  }
}
