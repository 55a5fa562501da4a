/** Reading request headers from Node's `rawHeaders`, so duplicates and `_` spellings are visible. */
import type { IncomingMessage } from 'node:http';

/** Every value of the header `lowerCaseName` (exact name, case-insensitive), in arrival order. */
export function headerValues(request: IncomingMessage, lowerCaseName: string): string[] {
  const raw = request.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === lowerCaseName) values.push(raw[i + 1] as string);
  }
  return values;
}
