/**
 * Route path patterns: whole segments only. `*` matches one segment, `**` any number (zero
 * included), `{name}` one segment captured as a parameter; anything else is a literal segment.
 * Patterns are matched against normalised paths (see `paths/normalize.ts`).
 */

type PatternSegment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'one' }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'any' };

export interface PathPattern {
  readonly source: string;
  readonly params: readonly string[];
  /** Captured parameters on a match, `undefined` otherwise. */
  match(path: string): Readonly<Record<string, string>> | undefined;
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,=:@%]+$/;

/** Thrown by `compilePattern` with a message naming what is wrong (used by config validation). */
export class PatternError extends Error {}

/** Compile a pattern; `caseInsensitive` lower-cases literals and paths before comparing. */
export function compilePattern(source: string, caseInsensitive: boolean): PathPattern {
  if (!source.startsWith('/')) throw new PatternError('must start with "/"');
  const raw = source === '/' ? [] : source.slice(1).split('/');
  const segments: PatternSegment[] = [];
  const params: string[] = [];
  for (const part of raw) {
    if (part === '**') {
      if (segments.at(-1)?.kind === 'any') throw new PatternError('"**/**" is redundant');
      segments.push({ kind: 'any' });
    } else if (part === '*') {
      segments.push({ kind: 'one' });
    } else if (PARAM.test(part)) {
      const name = (PARAM.exec(part) as RegExpExecArray)[1] as string;
      if (params.includes(name)) throw new PatternError(`parameter {${name}} appears twice`);
      params.push(name);
      segments.push({ kind: 'param', name });
    } else if (part === '' || part === '.' || part === '..') {
      throw new PatternError('must be a normalised path (no empty, "." or ".." segments)');
    } else if (!LITERAL.test(part) || part.includes('*')) {
      throw new PatternError(`segment "${part}" is not a literal, "*", "**" or "{name}"`);
    } else {
      segments.push({ kind: 'literal', value: caseInsensitive ? part.toLowerCase() : part });
    }
  }

  const match = (path: string): Readonly<Record<string, string>> | undefined => {
    const parts = path === '/' ? [] : path.slice(1).split('/');
    const captured: Record<string, string> = {};
    const ok = matchFrom(segments, 0, parts, 0, captured, caseInsensitive);
    return ok ? captured : undefined;
  };
  return { source, params, match };
}

function matchFrom(
  segments: readonly PatternSegment[],
  si: number,
  parts: readonly string[],
  pi: number,
  captured: Record<string, string>,
  caseInsensitive: boolean,
): boolean {
  if (si === segments.length) return pi === parts.length;
  const segment = segments[si] as PatternSegment;
  if (segment.kind === 'any') {
    // Patterns are short and "**/**" is refused, so trying every split stays cheap.
    for (let next = pi; next <= parts.length; next++) {
      if (matchFrom(segments, si + 1, parts, next, captured, caseInsensitive)) return true;
    }
    return false;
  }
  const part = parts[pi];
  if (part === undefined) return false;
  if (segment.kind === 'literal') {
    const candidate = caseInsensitive ? part.toLowerCase() : part;
    if (candidate !== segment.value) return false;
  } else if (segment.kind === 'param') {
    captured[segment.name] = part;
  }
  return matchFrom(segments, si + 1, parts, pi + 1, captured, caseInsensitive);
}
