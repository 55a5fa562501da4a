/**
 * HTTP over a raw TCP socket (node:net): the only way to send what a well-behaved client refuses
 * to — conflicting framing headers, obs-fold, `_` header names, exact duplicates.
 */
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent before closing (or before the deadline). */
  readonly text: string;
  /** Status codes of every response in `text`, in order. */
  readonly statuses: readonly number[];
}

/** Sends `payload` as is and reads until the server closes the connection or `deadlineMs` passes. */
export function rawExchange(url: string, payload: string, deadlineMs = 3000): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ text, statuses });
    };
    const timer = setTimeout(finish, deadlineMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (error) => {
      if (chunks.length > 0) finish();
      else {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.write(payload, 'latin1');
  });
}

/** A request head from lines (CRLF-joined) plus a blank line, and an optional body. */
export function rawRequestText(lines: readonly string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
