/**
 * The web console in a real browser (Debian's chromium, driven by playwright-core) against the real
 * node on PostgreSQL and a real Orthanc as its PACS: find a study by accession, open its job and
 * see its steps' durations and preview; edit a rule into an invalid one and see the field named;
 * route a series again; test destinations with C-ECHO; add, edit and delete a destination. Screenshots go to test-artifacts/browser/.
 */
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { silentLogger } from '../../src/log.js';
import { startNode, type RunningNode } from '../../src/node/start-node.js';
import { randomUid } from '../helpers/copy-series.js';
import { freePort, runDcmtk } from '../helpers/dcmtk.js';
import { startOrthanc, type OrthancProcess } from '../helpers/orthanc.js';
import { dropSchemas, uniqueSchema } from '../helpers/test-database.js';
import { testNodeConfig } from '../helpers/test-node-config.js';
import { waitFor } from '../helpers/wait-for.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const sourceDir = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const artifacts = path.resolve('test-artifacts/browser');
const SLICES = 6;
const accession = `BRW${Date.now() % 1_000_000}`;
const schema = uniqueSchema('browser');
let node: RunningNode;
let orthanc: OrthancProcess;
let browser: Browser;
let page: Page;
let seriesUid: string;
let studyUid: string;
const pageErrors: string[] = [];

interface JobView {
  id: string;
  state: string;
  seriesGeneration: number;
  derivedSeriesUid: string | null;
}

async function jobsOfSeries(): Promise<JobView[]> {
  const response = await fetch(`http://127.0.0.1:${node.apiPort}/api/series/${seriesUid}`);
  return response.ok ? ((await response.json()) as { jobs: JobView[] }).jobs : [];
}

// Not fullPage: a full-page capture draws the tables' sticky headers in the wrong place.
const screenshot = (name: string) => page.screenshot({ path: path.join(artifacts, `${name}.png`) });

/** A few slices of a shared series as a study of its own, with a known AccessionNumber. */
async function smallStudy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-browser-series-'));
  const names = (await readdir(sourceDir)).sort().slice(10, 10 + SLICES);
  for (const name of names) await copyFile(path.join(sourceDir, name), path.join(dir, name));
  [studyUid, seriesUid] = [randomUid(), randomUid()];
  const tags = [`(0020,000d)=${studyUid}`, `(0020,000e)=${seriesUid}`, `(0008,0050)=${accession}`].flatMap((tag) => ['-m', tag]);
  const modified = await runDcmtk('dcmodify', ['-nb', '-gin', ...tags, ...names.map((name) => path.join(dir, name))]);
  if (modified.code !== 0) throw new Error(`dcmodify: ${modified.stderr}`);
  return dir;
}

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-browser-'));
  orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort: await freePort(), forwardToNode: false });
  const rulesFile = path.join(workDir, 'rules.json');
  const rule = {
    id: 'soften-ct',
    name: 'Soften every CT series (browser test)',
    match: { modality: 'CT' },
    steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 1 } }],
    destinations: ['pacs'],
  };
  await writeFile(rulesFile, JSON.stringify({ rules: [rule] }));
  const orthancUrl = `http://127.0.0.1:${orthanc.httpPort}`;
  const config = testNodeConfig(workDir, schema, {
    dicom: { callers: [{ aeTitle: '*' }] },
    rulesFile,
    destinations: {
      pacs: {
        aeTitle: orthanc.aeTitle,
        host: '127.0.0.1',
        port: orthanc.dicomPort,
        orthancUrl,
        viewerUrl: `${orthancUrl}/stone-webviewer/index.html?study={StudyInstanceUID}&series={SeriesInstanceUID}`,
      },
      down: { aeTitle: 'NOBODY', host: '127.0.0.1', port: await freePort() },
    },
  });
  node = await startNode(config, { log: silentLogger() });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  page = await browser.newPage({ viewport: { width: 1600, height: 2000 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('dialog', (dialog) => dialog.accept());

  const dir = await smallStudy();
  expect((await runDcmtk('storescu', ['-aet', 'MODALITY', '-aec', 'CTPREP', '+sd', '127.0.0.1', String(node.dicomPort), dir])).code).toBe(0);
  await waitFor('the job to be done', async () => (await jobsOfSeries())[0]?.state === 'done', { timeoutMs: 90_000 });
  await page.goto(`http://127.0.0.1:${node.apiPort}/`);
});

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await orthanc?.stop();
  await dropSchemas(schema, `${schema}_queue`);
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

it('finds the study by its accession, opens its job: steps with durations, the preview, the viewer link', async () => {
  await page.fill('#series-search', accession);
  await page.press('#series-search', 'Enter');
  const row = page.locator('#series-table tbody tr', { hasText: accession });
  await row.waitFor();
  expect(await page.locator('#series-table tbody tr').count()).toBe(1);
  await row.click();
  await page.locator('#series-detail tr[data-job-id]').first().click();

  const panel = page.locator('#series-job-detail');
  const step = panel.locator('tr.step-run');
  await step.waitFor();
  expect(await step.count()).toBe(1);
  expect(await step.locator('td').nth(1).innerText()).toContain('gaussian-soften');
  expect(await step.locator('td').nth(2).innerText()).toBe('done');
  expect(await step.locator('td.step-duration').innerText()).toMatch(/^\d+(\.\d+)? (s|min)$/);
  expect(await step.locator('td.step-busy').innerText()).toMatch(/^\d+(\.\d+)? (s|min)$/);
  expect(await step.locator('td').nth(8).innerText()).toBe('cpu');
  expect(await panel.innerText()).toContain('soften-ct version 1');

  const images = panel.locator('img.preview');
  await images.first().waitFor();
  // Evaluated in the page (this project is not compiled against the DOM's types).
  const widths = "[...document.querySelectorAll('#series-job-detail img.preview')].map((img) => (img.complete ? img.naturalWidth : 0))";
  await page.waitForFunction(`${widths}.every((width) => width > 0)`);
  // input | output | difference, each 512 wide, 4 px apart
  expect(await page.evaluate<number[]>(widths)).toEqual([3 * 512 + 2 * 4, 3 * 512 + 2 * 4]);

  // The derived series is in Orthanc, and the console links to it there.
  const [job] = await jobsOfSeries();
  const lookup = await fetch(`http://127.0.0.1:${orthanc.httpPort}/tools/lookup`, { method: 'POST', body: job.derivedSeriesUid! });
  expect(await lookup.json()).toEqual([expect.objectContaining({ Type: 'Series' })]);
  const link = panel.locator('a.viewer-link').first();
  expect(await link.getAttribute('href')).toBe(
    `http://127.0.0.1:${orthanc.httpPort}/stone-webviewer/index.html?study=${studyUid}&series=${job.derivedSeriesUid}`,
  );
  expect(await page.locator('#series-detail a.viewer-link').count()).toBe(1);
  await screenshot('a-job-detail');

  // The same detail from the Jobs tab.
  await page.click('.tab[data-section="jobs"]');
  await page.locator('#jobs-table tbody tr', { hasText: 'soften-ct' }).getByRole('button', { name: 'Details' }).click();
  await page.locator('#job-detail tr.step-run').waitFor();
  expect(await page.locator('#series-job-detail').isHidden()).toBe(true);
});

it('names the field when a rule is edited into an invalid one, and keeps the rule', async () => {
  await page.click('.tab[data-section="rules"]');
  await page.locator('#rules-table tr', { hasText: 'soften-ct' }).getByRole('button', { name: 'Edit' }).click();
  const rule = JSON.parse(await page.inputValue('#rule-json'));
  rule.steps[0].options.sigmaMm = 'wide';
  await page.fill('#rule-json', JSON.stringify(rule, null, 2));
  await page.click('#rule-save');
  const result = page.locator('#rule-result.bad');
  await result.waitFor();
  expect(await result.innerText()).toMatch(/steps\[0\]\.options\.sigmaMm/);
  await screenshot('b-invalid-rule');
  const saved = await (await fetch(`http://127.0.0.1:${node.apiPort}/api/rules/soften-ct`)).json();
  expect(saved).toMatchObject({ version: 1, steps: [{ options: { sigmaMm: 1 } }] });
  await page.click('#rule-cancel');
});

it('routes the series again: a new job of the next generation, run and delivered', async () => {
  await page.click('.tab[data-section="series"]');
  await page.locator('#series-table tbody tr', { hasText: accession }).click();
  await page.getByRole('button', { name: 'Route again with the current rules' }).click();
  await page.locator('#message.info', { hasText: 'Routed again' }).waitFor();
  const rows = page.locator('#series-detail tr[data-job-id]');
  await waitFor('the new job in the series detail', async () => (await rows.count()) === 2);
  const jobs = await waitFor('the new job to be done', async () => {
    const listed = await jobsOfSeries();
    return listed.length === 2 && listed[1].state === 'done' ? listed : undefined;
  }, { timeoutMs: 90_000 });
  expect(jobs.map((job) => job.seriesGeneration)).toEqual([1, 2]);
  // The console shows it once it refreshes (every 5 s).
  await page.locator(`#series-detail tr[data-job-id="${jobs[1].id}"]`, { hasText: 'done' }).waitFor({ timeout: 20_000 });
  expect(await rows.nth(1).locator('td').nth(1).innerText()).toBe('2');
  expect(await rows.nth(0).locator('td').nth(3).innerText()).toMatch(/earlier generation/);
  expect(await rows.nth(1).locator('td').nth(3).innerText()).not.toMatch(/earlier generation/);
  await screenshot('c-routed-again');
});

it('tests destinations with C-ECHO: the Orthanc answers, a port where nobody listens does not', async () => {
  await page.click('.tab[data-section="destinations"]');
  const row = (name: string) => page.locator('#destinations-table tr', { has: page.locator('td', { hasText: new RegExp(`^${name}$`) }) });
  await row('pacs').getByRole('button', { name: /C-ECHO/ }).click();
  await row('pacs').getByText(/answered in \d+ ms/).waitFor();
  await row('down').getByRole('button', { name: /C-ECHO/ }).click();
  await row('down').getByText(/no answer/).waitFor();
  expect(await row('down').innerText()).toMatch(/ECONNREFUSED|refused|connect/i);
  await screenshot('d-destinations');
});

it('adds a destination in the console: a bad AE title is named, a good one is saved and answers C-ECHO', async () => {
  const pacs = ((await (await fetch(`http://127.0.0.1:${node.apiPort}/api/destinations/pacs`)).json()) as { host: string; port: number });
  await page.click('.tab[data-section="destinations"]');
  await page.click('#destination-new');
  await page.fill('#destination-name', 'research');
  await page.fill('#destination-ae', 'BAD\\AE');
  await page.fill('#destination-host', pacs.host);
  await page.fill('#destination-port', String(pacs.port));
  await page.click('#destination-save');
  await page.locator('#destination-result.bad').getByText(/destination\.aeTitle/).waitFor();
  await screenshot('e-destination-invalid');
  await page.fill('#destination-ae', 'ORTHANC');
  await page.click('#destination-save');
  await page.locator('#destination-result').getByText(/Saved \(version 1\)/).waitFor();
  const row = page.locator('#destinations-table tr', { has: page.locator('td', { hasText: /^research$/ }) });
  await row.getByText(/added here/).waitFor();
  await row.getByRole('button', { name: /C-ECHO/ }).click();
  await row.getByText(/answered in \d+ ms/).waitFor();
  await screenshot('e-destination-added');
});

it('edits and deletes a destination added through the API: its TLS files and hidden Orthanc password kept, a delete refused while a rule delivers there', async () => {
  const api = (route: string, method: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${node.apiPort}${route}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const tls = { ca: '/etc/ctprep/archive-ca.pem' };
  const orthancUrl = 'http://ctprep:s3cret@127.0.0.1:8042/';
  expect((await api('/api/destinations', 'POST', { name: 'archive', aeTitle: 'ARCHIVE', host: '127.0.0.1', port: 104, orthancUrl, tls })).status).toBe(201);
  const rule = { name: 'MR to the archive (browser test)', match: { modality: 'MR' }, steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 1 } }], destinations: ['archive'] };
  expect((await api('/api/rules/mr-to-archive', 'PUT', rule)).status).toBe(201);
  await page.click('.tab[data-section="rules"]');
  await page.click('.tab[data-section="destinations"]');
  const row = page.locator('#destinations-table tr', { has: page.locator('td', { hasText: /^archive$/ }) });
  await row.getByRole('button', { name: 'Edit' }).click();
  expect(await page.locator('#destination-name').getAttribute('readonly')).not.toBeNull();
  expect(await page.inputValue('#destination-orthanc')).toBe('http://ctprep:********@127.0.0.1:8042/');
  await page.fill('#destination-port', '11104');
  await page.click('#destination-save');
  await page.locator('#destination-result').getByText(/Saved \(version 2\)/).waitFor();
  expect(await (await api('/api/destinations/archive', 'GET')).json()).toMatchObject({ port: 11104, tls, source: 'api', version: 2 });
  const saved = await node.db.query<{ url: string }>(`SELECT definition->>'orthancUrl' AS url FROM destinations WHERE name = 'archive'`);
  expect(saved.rows[0].url).toBe(orthancUrl);
  await row.getByText('11104').waitFor();

  await row.getByRole('button', { name: 'Delete' }).click();
  await page.locator('#message').getByText(/not deleted: .*mr-to-archive/).waitFor();
  await screenshot('f-destination-in-use');
  expect((await api('/api/rules/mr-to-archive', 'DELETE')).status).toBe(204);
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.locator('#message').getByText('Destination archive deleted.').waitFor();
  await row.waitFor({ state: 'detached' });
  expect((await api('/api/destinations/archive', 'GET')).status).toBe(404);
  // Those of the configuration offer no Edit or Delete.
  const configured = page.locator('#destinations-table tr', { has: page.locator('td', { hasText: /^pacs$/ }) });
  expect(await configured.getByRole('button').allInnerTexts()).toEqual(['Test (C-ECHO)']);
});
