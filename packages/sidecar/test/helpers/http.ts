/** Raw HTTP requests: node:http keeps the path byte-for-byte and header names as written. */
import { request } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export function rawRequest(
  baseUrl: string,
  path: string,
  options: { method?: string; headers?: Array<[string, string]>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: options.method ?? 'GET', agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    for (const [name, value] of options.headers ?? []) req.setHeader(name, value);
    req.on('error', reject);
    req.end(options.body);
  });
}

export const bearer = (token: string): [string, string] => ['Authorization', `Bearer ${token}`];
