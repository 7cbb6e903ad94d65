/**
 * One call of the management REST API (`POST /rest/v1/COMMAND`, docs/rest.md) over HTTPS with
 * the administrator's bearer token: the tests' single way to ask a running server.
 */
import https from 'node:https';

export interface RestAnswer {
  readonly status: number;
  /** The parsed JSON body. */
  readonly json: unknown;
}

export function postRest(
  origin: string,
  ca: string,
  token: string,
  command: string,
  body: unknown,
): Promise<RestAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(`/rest/v1/${command}`, origin),
      {
        method: 'POST',
        ca,
        agent: false,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
            });
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
