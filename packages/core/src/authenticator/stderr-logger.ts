/**
 * The default logger: warnings and errors to stderr, one line each, so a library user with a
 * wrong API key or an unreachable IdP sees why (`logger: false` silences it; give a pino-shaped
 * logger to route everything, info and debug included, elsewhere).
 */
import type { Logger } from '../types.js';

/** Longest line written; a runaway field must not flood the terminal. */
const MAX_LINE_CHARS = 4096;

function line(level: string, obj: object, msg: string | undefined): string {
  let fields = '';
  try {
    fields = JSON.stringify(obj);
  } catch {
    fields = '{"fields":"unserialisable"}';
  }
  // One prefix whatever the caller put in the message, so every line says where it comes from.
  const message = (msg ?? '').replace(/^portcullis: /, '');
  const text = `portcullis ${level}: ${message} ${fields === '{}' ? '' : fields}`.trimEnd();
  return `${text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text}\n`;
}

export function stderrLogger(
  write: (text: string) => void = (text) => void process.stderr.write(text),
): Logger {
  return Object.freeze({
    debug: () => undefined,
    info: () => undefined,
    warn: (obj: object, msg?: string) => write(line('WARN', obj, msg)),
    error: (obj: object, msg?: string) => write(line('ERROR', obj, msg)),
  });
}

export const SILENT_LOGGER: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
