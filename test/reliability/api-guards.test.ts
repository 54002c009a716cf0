/**
 * Issue 9, items 1 and 9 and the two extras, against the node as a real process: the API token
 * bypassed by the spelling of a path, no Host check (DNS rebinding), JSON nested 100,000 deep
 * answered 500. Each case names its defect.
 */
import http from 'node:http';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { dropSchemas } from '../helpers/test-database.js';

const TOKEN = 'reliability-token-0123456789';
const bearer = { Authorization: `Bearer ${TOKEN}` };
const RULE = {
  id: 'probe-rule',
  description: 'made by the reliability test',
  match: { modality: 'CT' },
  steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 0.8 } }],
  destinations: [],
};

let guarded: NodeProcess;
let open: NodeProcess;

beforeAll(async () => {
  [guarded, open] = await Promise.all([startNodeProcess({ env: { CTPREP_API_TOKEN: TOKEN } }), startNodeProcess()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([guarded?.stop(), open?.stop()]);
  await dropSchemas(...[guarded, open].flatMap((node) => (node ? [node.schema, `${node.schema}_queue`] : [])));
});

/** fetch() drops a Host header (a forbidden header in the Fetch standard); a browser after DNS rebinding sends one. */
function request(port: number, method: string, route: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: route, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function ruleIds(node: NodeProcess): Promise<string[]> {
  const response = await node.api('/api/rules', { headers: bearer });
  return ((await response.json()) as { rules: { id: string }[] }).rules.map((rule) => rule.id);
}

describe('API guards (issue 9)', () => {
  it('[fault] token bypass by case, trailing slash or encoding: no spelling of a path reads or changes anything without the token', async () => {
    const reads = ['/API/series', '/Api/series', '/api/SERIES', '/api/series/', '/api//series', '/api/%73eries', '/API/jobs', '/api/rules/', '/METRICS', '/metrics/', '/Metrics'];
    for (const route of reads) {
      const response = await guarded.api(route);
      expect({ route, ok: response.ok }).toEqual({ route, ok: false });
      const text = await response.text();
      expect({ route, leaks: /PatientID|"series"|ctprep_series|"jobs"|"rules"/.test(text) }).toEqual({ route, leaks: false });
    }
    const before = await ruleIds(guarded);
    const writes: [string, string, unknown?][] = [
      ['PUT', '/API/rules/probe-rule', RULE],
      ['PUT', '/api/rules/probe-rule/', RULE],
      ['PUT', '/Api/Rules/probe-rule', RULE],
      ['DELETE', `/API/rules/${before[0]}`],
      ['DELETE', `/api/rules/${before[0]}/`],
      ['POST', '/API/jobs/00000000-0000-4000-8000-000000000000/retry'],
    ];
    for (const [method, route, body] of writes) {
      const response = await guarded.api(route, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      expect({ method, route, ok: response.ok }).toEqual({ method, route, ok: false });
    }
    expect(await ruleIds(guarded)).toEqual(before);
    expect((await guarded.api('/api/series', { headers: bearer })).status).toBe(200);
    expect((await guarded.api('/metrics', { headers: bearer })).status).toBe(200);
    expect((await guarded.api('/api/health')).status).toBe(200);
  });

  it('[fault] DNS rebinding: a request naming another site as Host is refused, with or without an Origin', async () => {
    const rebound: Record<string, string>[] = [{ Host: 'evil.example' }, { Host: `evil.example:${open.apiPort}`, Origin: 'http://evil.example' }];
    for (const headers of rebound) {
      const read = await request(open.apiPort, 'GET', '/api/series', headers);
      expect(read.status).toBe(403);
      expect(JSON.parse(read.body)).toMatchObject({ error: { code: 'forbidden_host' } });
      const write = await request(open.apiPort, 'PUT', '/api/rules/probe-rule', { ...headers, 'content-type': 'application/json' }, JSON.stringify(RULE));
      expect(write.status).toBe(403);
    }
    expect(await ruleIds(open)).not.toContain('probe-rule');
    for (const host of [`127.0.0.1:${open.apiPort}`, `localhost:${open.apiPort}`, `[::1]:${open.apiPort}`]) {
      expect((await request(open.apiPort, 'GET', '/api/series', { Host: host })).status).toBe(200);
    }
  });

  it('[bad input] JSON nested 100,000 deep is a 400 naming the depth, and the node goes on serving', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const response = await open.api('/api/rules/test', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"series":${deep}}` });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { message: expect.stringMatching(/nested deeper than/) } });
    expect((await open.api('/api/health')).status).toBe(200);
  });
});
