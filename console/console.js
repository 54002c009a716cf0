// The node's web console: plain DOM, no framework. Every value from the API reaches the page
// through text nodes (textContent / append of strings), never parsed as markup.

const REFRESH_MS = 5000;
const RULE_TEMPLATE = {
  id: 'new-rule',
  name: 'Describe what this rule does',
  enabled: false,
  priority: 100,
  match: { modality: 'CT', convolutionKernel: { family: ['sharp'] } },
  steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 1.0 } }],
  destinations: ['pacs'],
  exclusive: false,
};

const view = {
  section: 'series',
  selectedSeriesUid: null,
  rules: [],
  loadFailed: false,
  /** The job whose detail is open, and the panel it is shown in: { id, panel }. */
  jobDetail: null,
  /** Preview figures already fetched, by job id and derived series (a preview is rendered once). */
  previews: new Map(),
};

// ---------- small DOM helpers ----------

const byId = (id) => document.getElementById(id);

/** Builds an element; string children become text nodes, so data is never parsed as HTML. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function chip(text, state, title) {
  return el('span', { class: `chip state-${state ?? ''}`, title }, text);
}

function table(headers, rows, emptyText) {
  if (rows.length === 0) return el('p', { class: 'empty' }, emptyText);
  return el('table', {}, el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows));
}

function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

function shortUid(uid) {
  return uid && uid.length > 24 ? `…${uid.slice(-20)}` : uid ?? '';
}

function showMessage(text, kind = 'error') {
  const box = byId('message');
  box.textContent = text;
  box.className = kind === 'info' ? 'message info' : 'message';
  box.hidden = false;
}

function clearMessage() {
  byId('message').hidden = true;
}

// ---------- API ----------

// A node that listens beyond loopback asks for a token; the console keeps it for this tab only.
const TOKEN_KEY = 'ctprep-api-token';

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function askForToken() {
  byId('token-form').hidden = false;
  byId('token-input').focus();
}

function useToken(event) {
  event.preventDefault();
  const token = byId('token-input').value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  byId('token-input').value = '';
  byId('token-form').hidden = true;
  clearMessage();
  detectModels().catch(() => undefined);
  refreshActive();
}

async function api(path, options = {}) {
  const init = { method: options.method ?? 'GET', headers: { Accept: 'application/json', ...authHeaders() } };
  if (options.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) askForToken();
  if (response.status === 204) return undefined;
  const payload = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = payload?.error?.message ?? `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return payload;
}

const enc = encodeURIComponent;

// ---------- node status ----------

async function refreshHealth() {
  const status = byId('node-status');
  try {
    const response = await fetch('/api/health');
    const health = await response.json();
    const node = health.node;
    status.textContent = `${node.aeTitle} · DICOM port ${node.dicomPort} · version ${node.version} · database ${node.databaseKind} ${health.database.reachable ? 'reachable' : 'UNREACHABLE'}`;
    status.className = health.database.reachable ? 'node-status' : 'node-status bad';
  } catch (error) {
    status.textContent = `node not reachable: ${error.message}`;
    status.className = 'node-status bad';
  }
}

// ---------- Series ----------

function routingCell(series) {
  const routing = series.routing;
  if (series.state === 'incomplete') return `not whole: ${series.incompleteReason ?? 'no reason recorded'}; waits for more instances`;
  if (!routing) return series.state === 'receiving' ? 'waiting for the series to complete' : '';
  if (routing.skippedReason) return routing.skippedReason;
  if (routing.matchedRuleIds.length === 0) return `no rule matched (${routing.rulesEvaluated} evaluated)`;
  return routing.matchedRuleIds.map((id) => chip(id));
}

/** YYYYMMDD as YYYY-MM-DD. */
function formatStudyDate(date) {
  return date && /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}` : date ?? '';
}

function seriesRow(series) {
  const row = el(
    'tr',
    { class: series.seriesInstanceUid === view.selectedSeriesUid ? 'clickable selected' : 'clickable', tabindex: 0 },
    el('td', {}, when(series.lastReceivedAt)),
    el('td', {}, (series.patientName ?? '').replaceAll('^', ' '), el('div', { class: 'mono' }, series.patientId ?? '')),
    el('td', {}, series.studyDescription ?? '', el('div', { class: 'hint' }, [series.accessionNumber, formatStudyDate(series.studyDate)].filter(Boolean).join(' · '))),
    el('td', {}, series.seriesDescription ?? '', el('div', { class: 'mono', title: series.seriesInstanceUid }, shortUid(series.seriesInstanceUid))),
    el('td', {}, series.modality ?? ''),
    el('td', {}, series.convolutionKernel ?? ''),
    el('td', {}, series.manufacturer ?? ''),
    el('td', {}, series.rows && series.columns ? `${series.rows}×${series.columns}` : ''),
    el('td', {}, series.sliceThickness ?? ''),
    el('td', {}, String(series.instanceCount)),
    el('td', {}, series.callingAeTitle),
    el('td', {}, chip(series.state, series.state)),
    el('td', {}, routingCell(series)),
    el('td', {}, series.jobs.map((job) => chip(job.ruleId, job.state, `job ${job.id}: ${job.state}`))),
  );
  const select = () => {
    if (view.selectedSeriesUid !== series.seriesInstanceUid) closeJobDetail();
    view.selectedSeriesUid = series.seriesInstanceUid;
    refreshSeries();
  };
  row.addEventListener('click', select);
  row.addEventListener('keydown', (event) => event.key === 'Enter' && select());
  return row;
}

async function refreshSeries() {
  const query = new URLSearchParams({ limit: '100' });
  const filters = { state: byId('series-state').value, q: byId('series-search').value.trim(), studyDateFrom: byId('series-date-from').value, studyDateTo: byId('series-date-to').value };
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  const data = await api(`/api/series?${query}`);
  const headers = ['Last received', 'Patient', 'Study', 'Series', 'Modality', 'Kernel', 'Manufacturer', 'Matrix', 'Slice (mm)', 'Instances', 'From AE', 'State', 'Routing', 'Jobs'];
  const searching = filters.q || filters.studyDateFrom || filters.studyDateTo;
  byId('series-table').replaceChildren(
    table(headers, data.series.map(seriesRow), searching ? 'No series matches.' : 'No series received yet.'),
    data.total > data.series.length ? el('p', { class: 'hint' }, `showing ${data.series.length} of ${data.total}`) : '',
  );
  if (view.selectedSeriesUid) await refreshSeriesDetail(view.selectedSeriesUid);
}

function evaluationRows(decision) {
  return (decision?.evaluations ?? []).map((evaluation) =>
    el('tr', {}, el('td', {}, evaluation.ruleId), el('td', {}, chip(evaluation.matched ? 'matched' : 'not matched', evaluation.matched ? 'ok' : '')), el('td', {}, evaluation.failedCondition ?? '')),
  );
}

async function refreshSeriesDetail(uid) {
  const panel = byId('series-detail');
  const series = await api(`/api/series/${enc(uid)}`);
  const result = el('pre', { class: 'result', hidden: true });
  const dryRun = async () => {
    try {
      result.textContent = formatDryRun(await api('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: uid } }));
      result.className = 'result';
    } catch (error) {
      result.textContent = error.message;
      result.className = 'result bad';
    }
    result.hidden = false;
  };
  panel.replaceChildren(
    el('h3', {}, series.seriesDescription ?? 'Series'),
    el(
      'dl',
      {},
      el('dt', {}, 'Series UID'), el('dd', { class: 'mono' }, series.seriesInstanceUid),
      el('dt', {}, 'Study UID'), el('dd', { class: 'mono' }, series.studyInstanceUid),
      el('dt', {}, 'Generation'), el('dd', {}, String(series.generation)),
      el('dt', {}, 'First / last received'), el('dd', {}, `${when(series.firstReceivedAt)} / ${when(series.lastReceivedAt)}`),
      el('dt', {}, 'Routed'), el('dd', {}, series.routedAt ? when(series.routedAt) : 'not yet'),
      series.routingDecision?.skippedReason ? [el('dt', {}, 'Not routed because'), el('dd', {}, series.routingDecision.skippedReason)] : [],
      series.state === 'incomplete' ? [el('dt', {}, 'Not whole because'), el('dd', {}, series.incompleteReason ?? 'no reason recorded')] : [],
    ),
    el('h3', {}, 'Rules evaluated'),
    table(['Rule', 'Result', 'Why not'], evaluationRows(series.routingDecision), 'Not routed yet.'),
    el('h3', {}, 'Jobs'),
    table(['Created', 'Generation', 'Rule', 'State', 'Derived series', 'Error'], series.jobs.map((job) => seriesJobRow(job, series.generation)), 'No jobs.'),
    el('div', { class: 'editor-actions' },
      el('button', { type: 'button', onclick: dryRun }, 'Dry run with the current rules'),
      series.state === 'routed' ? el('button', { type: 'button', onclick: () => routeAgain(uid) }, 'Route again with the current rules') : '',
      el('button', { type: 'button', onclick: () => { view.selectedSeriesUid = null; panel.hidden = true; closeJobDetail(); refreshSeries(); } }, 'Close'),
    ),
    result,
  );
  panel.hidden = false;
}

/**
 * A job of the series, its derived series with links to the viewers it was delivered to; a click
 * opens its detail. A job of an earlier generation was replaced by the series' current jobs.
 */
function seriesJobRow(job, currentGeneration) {
  const row = el(
    'tr',
    { class: view.jobDetail?.id === job.id ? 'clickable selected' : 'clickable', tabindex: 0, 'data-job-id': job.id },
    el('td', {}, when(job.createdAt)),
    el('td', {}, String(job.seriesGeneration)),
    el('td', {}, job.ruleId, job.ruleVersion ? el('span', { class: 'hint' }, ` v${job.ruleVersion}`) : ''),
    el('td', {}, chip(job.state, job.state), job.seriesGeneration < currentGeneration && job.state !== 'superseded' ? chip('earlier generation', 'superseded', `replaced by generation ${currentGeneration}`) : ''),
    el('td', {}, el('div', { class: 'mono' }, job.derivedSeriesUid ?? ''), viewerLinks(job.deliveries)),
    el('td', { class: 'error' }, job.error ?? ''),
  );
  const open = () => openJobDetail(job.id, 'series-job-detail');
  row.addEventListener('click', open);
  row.addEventListener('keydown', (event) => event.key === 'Enter' && open());
  return row;
}

/** Links to the derived series in the viewers of the destinations it was delivered to (only http(s) URLs). */
function viewerLinks(deliveries) {
  return (deliveries ?? [])
    .filter((delivery) => typeof delivery.viewerUrl === 'string' && /^https?:\/\//.test(delivery.viewerUrl))
    .map((delivery) =>
      el('a', { href: delivery.viewerUrl, target: '_blank', rel: 'noopener noreferrer', class: 'viewer-link', onclick: (event) => event.stopPropagation() }, `open in ${delivery.destination}'s viewer`),
    );
}

function formatDryRun(result) {
  const lines = [];
  if (result.skippedReason) lines.push(`Not routed: ${result.skippedReason}`);
  else if (result.matchedRuleIds.length === 0) lines.push('No rule matches: no job would be created.');
  else lines.push(`Jobs that would be created: ${result.wouldCreate.map((job) => `${job.ruleId} (${job.steps.map((s) => s.kind).join(' → ')} → ${job.destinations.join(', ')})`).join('; ')}`);
  lines.push('');
  for (const evaluation of result.evaluations) {
    lines.push(evaluation.matched ? `✓ ${evaluation.ruleId}` : `✗ ${evaluation.ruleId}: ${evaluation.failedCondition}`);
  }
  lines.push('', 'Tags seen by the matcher:', JSON.stringify(result.seriesTags, null, 2));
  return lines.join('\n');
}

// ---------- Jobs ----------

async function routeAgain(uid) {
  if (!confirm('Route this series again by the rules as they are now? New jobs replace its earlier ones, and their results are sent again.')) return;
  try {
    const routed = await api(`/api/series/${enc(uid)}/route-again`, { method: 'POST' });
    showMessage(routed.jobIds.length > 0 ? `Routed again: ${routed.matchedRuleIds.join(', ')} queued.` : 'Routed again: no rule matches now.', 'info');
  } catch (error) {
    showMessage(`Not routed again: ${error.message}`);
  }
  await refreshActive();
}

async function retry(path, what, body) {
  try {
    await api(path, { method: 'POST', body });
    showMessage(`${what} queued again.`, 'info');
  } catch (error) {
    showMessage(`${what} not retried: ${error.message}`);
  }
  await refreshActive();
}

function deliveryCell(delivery) {
  return el(
    'div',
    {},
    chip(`${delivery.destination}: ${delivery.state}`, delivery.state, delivery.lastError ?? undefined),
    delivery.attempts > 0 ? ` ${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}` : '',
    delivery.state === 'failed'
      ? el('button', { type: 'button', class: 'small', onclick: () => retry(`/api/deliveries/${enc(delivery.id)}/retry`, `Delivery to ${delivery.destination}`) }, 'Retry')
      : '',
    delivery.lastError && delivery.state !== 'done' ? el('div', { class: 'error' }, delivery.lastError) : '',
  );
}

function jobRow(job) {
  const canRetry = job.state === 'failed' || job.state === 'done';
  const retryJob = () => {
    if (job.state === 'done' && !confirm('This job finished. Run it again and send its result again?')) return;
    retry(`/api/jobs/${enc(job.id)}/retry`, `Job ${job.ruleId}`);
  };
  const retryWithCurrentRule = () => retry(`/api/jobs/${enc(job.id)}/retry`, `Job ${job.ruleId} (with the rule as it is now, as a new job)`, { rule: 'current' });
  return el(
    'tr',
    {},
    el('td', {}, when(job.createdAt)),
    el('td', {}, job.seriesDescription ?? '', el('div', { class: 'mono', title: job.seriesInstanceUid }, shortUid(job.seriesInstanceUid))),
    el('td', {}, job.ruleId, job.ruleVersion ? el('span', { class: 'hint' }, ` v${job.ruleVersion}`) : ''),
    el('td', {}, chip(job.state, job.state), job.attempts > 1 ? ` ${job.attempts} attempts` : '', progressNote(job)),
    el('td', {}, job.steps.map((step) => chip(`${step.kind}: ${step.state}`, step.state))),
    el('td', { class: 'error' }, job.error ?? ''),
    el('td', { class: 'uid', title: job.derivedSeriesUid ?? '' }, shortUid(job.derivedSeriesUid)),
    el('td', {}, qualityCell(job.quality)),
    el('td', {}, job.deliveries.map(deliveryCell)),
    el('td', {},
      canRetry ? el('button', { type: 'button', class: 'small', onclick: retryJob }, 'Retry job') : '',
      job.state === 'failed' ? el('button', { type: 'button', class: 'small', title: 'A new job made from the rule as it is now; this one is superseded', onclick: retryWithCurrentRule }, 'Retry with current rule') : '',
      el('button', { type: 'button', class: 'small', onclick: () => openJobDetail(job.id, 'job-detail') }, 'Details'),
    ),
  );
}

/** The job's key slice (input | output | difference) in two windows, fetched once per derived series. */
async function previewFigures(job) {
  const key = `${job.id}/${job.derivedSeriesUid}`;
  if (!view.previews.has(key)) {
    const figures = Promise.all(['lung', 'mediastinal'].map(async (window) => {
      const response = await fetch(`/api/jobs/${enc(job.id)}/preview.png?window=${window}`, { headers: authHeaders() });
      if (!response.ok) throw new Error((await response.json().catch(() => undefined))?.error?.message ?? `${response.status}`);
      const url = await blobAsDataUrl(await response.blob());
      return el('figure', {}, el('img', { src: url, alt: `${window} window: input, output, difference`, class: 'preview' }), el('figcaption', {}, `${window} window: input | output | difference (±200 HU)`));
    }));
    view.previews.set(key, figures);
    figures.catch(() => view.previews.delete(key));
  }
  return view.previews.get(key);
}

// ---------- Job detail ----------

function openJobDetail(id, panel) {
  view.jobDetail = { id, panel };
  for (const other of ['job-detail', 'series-job-detail']) if (other !== panel) byId(other).hidden = true;
  refreshJobDetail()
    .then(() => byId(panel).scrollIntoView({ block: 'nearest' }))
    .catch((error) => showMessage(`Could not load the job: ${error.message}`));
}

function closeJobDetail() {
  if (view.jobDetail) byId(view.jobDetail.panel).hidden = true;
  view.jobDetail = null;
}

/** Seconds as people read them: 0.96 s, 12 s, 3.5 min. */
function seconds(value) {
  if (value === null || value === undefined) return '';
  if (value < 10) return `${value.toFixed(2)} s`;
  return value < 90 ? `${Math.round(value)} s` : `${(value / 60).toFixed(1)} min`;
}

function perSecond(value) {
  if (!value) return '';
  return value >= 1e6 ? `${(value / 1e6).toFixed(1)} M/s` : `${Math.round(value / 1e3)} k/s`;
}

/** Each step of each run: state, start, end, its own busy time, throughput, where it ran, its error. */
function stepRunRow(step) {
  const wall = step.startedAt && step.finishedAt ? (Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000 : null;
  return el(
    'tr',
    { class: 'step-run' },
    el('td', {}, String(step.run)),
    el('td', {}, `${step.index + 1}. ${step.kind}`, step.label ? el('div', { class: 'hint mono' }, step.label) : ''),
    el('td', {}, chip(step.state, step.state)),
    el('td', {}, when(step.startedAt)),
    el('td', {}, when(step.finishedAt)),
    el('td', { class: 'step-duration' }, seconds(wall)),
    el('td', { class: 'step-busy' }, seconds(step.busySeconds)),
    el('td', {}, perSecond(step.voxelsPerSecond)),
    el('td', {}, step.backend ?? ''),
    el('td', { class: 'mono' }, step.model ?? ''),
    el('td', { class: 'error' }, step.error ? `${step.error}${step.errorClass ? ` (${step.errorClass})` : ''}` : ''),
  );
}

function jobDeliveryRow(delivery) {
  return el(
    'tr',
    {},
    el('td', { class: 'mono' }, delivery.destination),
    el('td', {}, chip(delivery.state, delivery.state)),
    el('td', {}, String(delivery.attempts)),
    el('td', {}, String(delivery.instancesSent)),
    el('td', {}, when(delivery.deliveredAt)),
    el('td', { class: 'error' }, delivery.lastError ?? ''),
    el('td', {}, viewerLinks([delivery])),
  );
}

/** The open job's detail, read again from the API (its preview only once). */
async function refreshJobDetail() {
  const open = view.jobDetail;
  if (!open) return;
  const panel = byId(open.panel);
  const job = await api(`/api/jobs/${enc(open.id)}`);
  if (view.jobDetail !== open) return;
  const preview = el('div', { class: 'job-preview' });
  panel.replaceChildren(
    el('h3', {}, `Job ${job.ruleId} on ${job.seriesDescription ?? shortUid(job.seriesInstanceUid)}`),
    el(
      'dl',
      {},
      el('dt', {}, 'Rule'), el('dd', {}, job.ruleId, job.ruleVersion ? ` version ${job.ruleVersion}` : ''),
      el('dt', {}, 'State'), el('dd', {}, chip(job.state, job.state), job.attempts > 1 ? ` ${job.attempts} attempts` : '', progressNote(job)),
      el('dt', {}, 'Series'), el('dd', { class: 'mono' }, job.seriesInstanceUid),
      el('dt', {}, 'Derived series'), el('dd', {}, el('span', { class: 'mono' }, job.derivedSeriesUid ?? 'not yet'), ' ', viewerLinks(job.deliveries)),
      el('dt', {}, 'Created / started / finished'), el('dd', {}, [when(job.createdAt), when(job.startedAt), when(job.finishedAt)].map((t) => t || '–').join(' / ')),
      el('dt', {}, 'Worker'), el('dd', { class: 'mono' }, job.worker ?? ''),
      job.error ? [el('dt', {}, 'Error'), el('dd', { class: 'error' }, job.error, job.errorClass ? el('span', { class: 'chip' }, job.errorClass) : '')] : [],
    ),
    el('h4', {}, 'Steps'),
    el('p', { class: 'hint' }, 'Steps compute their slices as the derived series is written, so they run side by side; "own time" is how long the job waited on the step itself.'),
    table(['Run', 'Step', 'State', 'Started', 'Finished', 'Duration', 'Own time', 'Voxels/s', 'Backend', 'Model', 'Error'], job.stepRuns.map(stepRunRow), 'No step has run yet.'),
    el('h4', {}, 'Deliveries'),
    table(['Destination', 'State', 'Attempts', 'Instances sent', 'Delivered', 'Error', 'Viewer'], job.deliveries.map(jobDeliveryRow), 'No delivery yet.'),
    preview,
    el('div', { class: 'editor-actions' }, el('button', { type: 'button', onclick: closeJobDetail }, 'Close')),
  );
  panel.hidden = false;
  if (job.derivedSeriesUid) {
    try {
      preview.replaceChildren(el('h4', {}, 'Key slice'), ...(await previewFigures(job)));
    } catch (error) {
      preview.replaceChildren(el('p', { class: 'hint' }, `No preview: ${error.message}`));
    }
  }
}

function blobAsDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** Slices written of the total while a job runs, with the time left. */
function progressNote(job) {
  const progress = job.progress;
  if (!progress || job.state !== 'running') return '';
  const eta = progress.etaSeconds === null ? '' : `, about ${progress.etaSeconds < 90 ? `${progress.etaSeconds} s` : `${Math.round(progress.etaSeconds / 60)} min`} left`;
  return el('div', { class: 'hint' }, `${progress.done} of ${progress.total} slices${eta}`);
}

/** The job's own quality report: noise and LAA-950 before and after, data consistency, calibration. */
function qualityCell(quality) {
  if (!quality) return '';
  const figure = (value, digits) => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));
  const lines = [`noise ${figure(quality.noiseHu.before, 1)} → ${figure(quality.noiseHu.after, 1)} HU`];
  if (quality.laa950.before !== null) lines.push(`LAA-950 ${figure(quality.laa950.before, 2)} → ${figure(quality.laa950.after, 2)} %`);
  if (quality.dataConsistencyHu !== undefined) lines.push(`data consistency ${figure(quality.dataConsistencyHu, 1)} HU`);
  if (quality.calibration) lines.push(`calibration ${quality.calibration.id.slice(0, 8)}`);
  return el('div', { class: 'hint', title: `on ${quality.slicesSampled} sampled slices, no reference` }, ...lines.flatMap((line, i) => (i ? [el('br'), line] : [line])));
}

async function refreshJobs() {
  const state = byId('jobs-state').value;
  const data = await api(`/api/jobs?limit=100${state ? `&state=${enc(state)}` : ''}`);
  const headers = ['Created', 'Series', 'Rule', 'State', 'Steps', 'Error', 'Derived series', 'Quality (input → output)', 'Deliveries', ''];
  byId('jobs-table').replaceChildren(
    table(headers, data.jobs.map(jobRow), 'No jobs.'),
    data.total > data.jobs.length ? el('p', { class: 'hint' }, `showing ${data.jobs.length} of ${data.total}`) : '',
  );
}

// ---------- Rules ----------

function describeMatch(match) {
  return Object.entries(match)
    .map(([key, value]) =>
      key === 'anyOf' ? `any of (${value.map((alternative) => describeMatch(alternative)).join(') or (')})` : `${key} ${typeof value === 'object' ? JSON.stringify(value) : value}`,
    )
    .join('; ');
}

async function saveRule(rule, okText) {
  const saved = await api(`/api/rules/${enc(rule.id)}`, { method: 'PUT', body: rule });
  showMessage(okText, 'info');
  await refreshRules();
  return saved;
}

function ruleRow(rule) {
  const toggle = async () => {
    try {
      await saveRule({ ...rule, enabled: !rule.enabled }, `Rule ${rule.id} ${rule.enabled ? 'disabled' : 'enabled'}.`);
    } catch (error) {
      showMessage(error.message);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete rule ${rule.id}? Jobs already made keep their copy of it.`)) return;
    try {
      await api(`/api/rules/${enc(rule.id)}`, { method: 'DELETE' });
      showMessage(`Rule ${rule.id} deleted.`, 'info');
      await refreshRules();
    } catch (error) {
      showMessage(error.message);
    }
  };
  return el(
    'tr',
    {},
    el('td', {}, String(rule.priority)),
    el('td', { class: 'mono' }, rule.id, el('div', { class: 'hint' }, `version ${rule.version}`)),
    el('td', {}, rule.name),
    el('td', {}, chip(rule.enabled ? 'enabled' : 'disabled', rule.enabled ? 'ok' : 'disabled'), rule.exclusive ? chip('exclusive') : ''),
    el('td', {}, describeMatch(rule.match)),
    el('td', {}, rule.steps.map((step) => step.kind).join(' → ')),
    el('td', {}, rule.destinations.join(', ')),
    el(
      'td',
      {},
      el('button', { type: 'button', class: 'small', onclick: () => openEditor(rule) }, 'Edit'),
      ' ',
      el('button', { type: 'button', class: 'small', onclick: toggle }, rule.enabled ? 'Disable' : 'Enable'),
      ' ',
      el('button', { type: 'button', class: 'small danger', onclick: remove }, 'Delete'),
    ),
  );
}

async function refreshRules() {
  const data = await api('/api/rules');
  // In the order routing evaluates them: lowest priority first, equal ones as listed (a stable sort).
  view.rules = [...data.rules].sort((a, b) => a.priority - b.priority);
  const headers = ['Priority', 'Id', 'Name', 'Status', 'Match', 'Steps', 'Destinations', ''];
  byId('rules-table').replaceChildren(table(headers, view.rules.map(ruleRow), 'No rules: no series will be processed.'));
}

function openEditor(rule, title = `Edit rule ${rule.id}`) {
  byId('rule-editor-title').textContent = title;
  byId('rule-json').value = JSON.stringify(rule, null, 2);
  byId('rule-result').hidden = true;
  byId('rule-editor').hidden = false;
  byId('rule-json').focus();
}

function editorRule() {
  try {
    return JSON.parse(byId('rule-json').value);
  } catch (error) {
    throw new Error(`The rule is not valid JSON: ${error.message}`);
  }
}

function showEditorResult(text, bad) {
  const result = byId('rule-result');
  result.textContent = text;
  result.className = bad ? 'result bad' : 'result';
  result.hidden = false;
}

async function saveEditor() {
  try {
    const rule = editorRule();
    if (typeof rule.id !== 'string') throw new Error('id: give the rule an id (lower-case letters, digits and hyphens)');
    const saved = await saveRule(rule, `Rule ${rule.id} saved.`);
    byId('rule-json').value = JSON.stringify(saved, null, 2);
    byId('rule-editor-title').textContent = `Edit rule ${saved.id}`;
    showEditorResult('Saved.', false);
  } catch (error) {
    showEditorResult(error.message, true);
  }
}

async function testEditor() {
  try {
    const uid = byId('rule-test-uid').value.trim();
    if (!uid) throw new Error('Give the UID of a series the node has received (see the Series tab).');
    const result = await api('/api/rules/test', { method: 'POST', body: { seriesInstanceUid: uid, rule: editorRule() } });
    showEditorResult(formatDryRun(result), false);
  } catch (error) {
    showEditorResult(error.message, true);
  }
}

// ---------- Calibrations ----------

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** The fitted gain against spatial frequency (cycles/mm), 0..1.2 on the vertical axis. */
function responseChart(response) {
  const width = 240;
  const height = 90;
  const fMax = response.frequenciesPerMm[response.frequenciesPerMm.length - 1] || 1;
  const x = (f) => 28 + ((width - 36) * f) / fMax;
  const y = (g) => height - 16 - ((height - 24) * Math.min(1.2, Math.max(0, g))) / 1.2;
  const chart = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart' });
  const title = document.createElementNS(SVG, 'title');
  title.textContent = `gain from ${response.gains[0].toFixed(2)} at 0 to ${response.gains[response.gains.length - 1].toFixed(2)} at ${fMax.toFixed(2)} cycles/mm`;
  chart.append(title);
  chart.append(svg('line', { x1: x(0), y1: y(1), x2: x(fMax), y2: y(1), class: 'chart-unity' }));
  chart.append(svg('line', { x1: x(0), y1: y(0), x2: x(fMax), y2: y(0), class: 'chart-axis' }));
  const points = response.frequenciesPerMm.map((f, i) => `${x(f).toFixed(1)},${y(response.gains[i]).toFixed(1)}`).join(' ');
  chart.append(svg('polyline', { points, class: 'chart-line' }));
  for (const [text, at, anchor] of [['1', [4, y(1) + 4], 'start'], ['0', [4, y(0) + 4], 'start'], [`${fMax.toFixed(1)} /mm`, [x(fMax), height - 2], 'end']]) {
    const label = svg('text', { x: at[0], y: at[1], 'text-anchor': anchor, class: 'chart-label' });
    label.textContent = text;
    chart.append(label);
  }
  return chart;
}

function fitCell(fit) {
  if (!fit.input || !fit.transfer) return 'too few slices to hold any back';
  return `${fit.heldBackSlices} held-back slices: MAE ${fit.input.maeHu.toFixed(1)} → ${fit.transfer.maeHu.toFixed(1)} HU, SSIM ${fit.input.ssim.toFixed(3)} → ${fit.transfer.ssim.toFixed(3)}`;
}

async function refreshCalibrations() {
  const data = await api('/api/calibrations');
  const rows = data.calibrations.map((c) =>
    el(
      'tr',
      {},
      el('td', {}, `${c.scanner.manufacturer} ${c.scanner.modelName}`),
      el('td', { class: 'mono' }, `${c.sourceKernel} → ${c.targetKernel}`),
      el('td', {}, responseChart(c.response)),
      el('td', {}, fitCell(c.fitQuality), el('br'), `residual ${c.residual.stdHu.toFixed(1)} HU`),
      el(
        'td',
        { class: 'mono', title: `${c.provenance.sourceSeriesInstanceUid} → ${c.provenance.targetSeriesInstanceUid}` },
        `${shortUid(c.provenance.sourceSeriesInstanceUid)} → ${shortUid(c.provenance.targetSeriesInstanceUid)}`,
        el('br'),
        `${c.provenance.slicesUsed} slices, linked by ${c.provenance.link}, ${when(c.provenance.fittedAt)}`,
      ),
    ),
  );
  byId('calibrations-table').replaceChildren(table(['Scanner', 'Kernels', 'Fitted gain', 'Fit', 'From series'], rows, 'No calibration yet: send a natural pair, or run ctprep calibrate on a folder.'));
}

// ---------- Destinations and models ----------

async function refreshDestinations() {
  const data = await api('/api/destinations');
  const rows = data.destinations.map((d) => {
    const result = el('span', { class: 'hint' });
    const test = async () => {
      result.textContent = 'testing…';
      try {
        const echo = await api(`/api/destinations/${enc(d.name)}/echo`, { method: 'POST' });
        result.textContent = echo.ok ? `C-ECHO answered in ${echo.milliseconds} ms` : `no answer: ${echo.error}`;
      } catch (error) {
        result.textContent = error.message;
      }
    };
    const editable = d.source === 'api';
    return el('tr', {}, el('td', { class: 'mono' }, d.name), el('td', {}, d.aeTitle), el('td', {}, d.host), el('td', {}, String(d.port)),
      el('td', {}, editable ? `added here (version ${d.version})` : 'configuration'),
      el('td', {}, el('button', { type: 'button', class: 'small', onclick: test }, 'Test (C-ECHO)'),
        editable ? el('button', { type: 'button', class: 'small', onclick: () => openDestinationEditor(d) }, 'Edit') : '',
        editable ? el('button', { type: 'button', class: 'small', onclick: () => deleteDestination(d.name) }, 'Delete') : '',
        ' ', result));
  });
  byId('destinations-table').replaceChildren(table(['Name (used in rules)', 'AE title', 'Host', 'Port', 'Source', ''], rows, 'No destinations.'));
}

/** The destination being edited: its name, the version read and its TLS files (kept: the form does not show them), or null for a new one. */
let editingDestination = null;

function openDestinationEditor(destination) {
  editingDestination = destination ? { name: destination.name, version: destination.version, tls: destination.tls } : null;
  byId('destination-editor-title').textContent = destination ? `Edit destination ${destination.name}` : 'Add a destination';
  byId('destination-name').value = destination?.name ?? '';
  byId('destination-name').readOnly = Boolean(destination);
  byId('destination-ae').value = destination?.aeTitle ?? '';
  byId('destination-host').value = destination?.host ?? '';
  byId('destination-port').value = destination ? String(destination.port) : '';
  byId('destination-orthanc').value = destination?.orthancUrl ?? '';
  byId('destination-viewer').value = destination?.viewerUrl ?? '';
  byId('destination-result').hidden = true;
  byId('destination-editor').hidden = false;
}

function showDestinationResult(text, bad) {
  const result = byId('destination-result');
  result.textContent = text;
  result.className = bad ? 'result bad' : 'result';
  result.hidden = false;
}

async function saveDestination(event) {
  event.preventDefault();
  const optional = (id) => byId(id).value.trim() || undefined;
  const fields = { aeTitle: byId('destination-ae').value.trim(), host: byId('destination-host').value.trim(), port: Number(byId('destination-port').value), orthancUrl: optional('destination-orthanc'), viewerUrl: optional('destination-viewer') };
  try {
    const saved = editingDestination
      ? await api(`/api/destinations/${enc(editingDestination.name)}`, { method: 'PUT', body: { ...fields, tls: editingDestination.tls, version: editingDestination.version } })
      : await api('/api/destinations', { method: 'POST', body: { name: byId('destination-name').value.trim(), ...fields } });
    openDestinationEditor(saved);
    showDestinationResult(`Saved (version ${saved.version}).`, false);
    await refreshDestinations();
  } catch (error) {
    showDestinationResult(error.message, true);
  }
}

/** Deletes an API destination; the outcome (a refusal names the rules that deliver there) in the page's message, as for rules. */
async function deleteDestination(name) {
  if (!window.confirm(`Delete destination ${name}?`)) return;
  try {
    await api(`/api/destinations/${enc(name)}`, { method: 'DELETE' });
    if (editingDestination?.name === name) byId('destination-editor').hidden = true;
    showMessage(`Destination ${name} deleted.`, 'info');
    await refreshDestinations();
  } catch (error) {
    showMessage(`Destination ${name} not deleted: ${error.message}`);
  }
}

async function refreshModels() {
  const data = await api('/api/models');
  const rows = data.models.map((model) =>
    el(
      'tr',
      {},
      el('td', { class: 'mono' }, model.id ?? ''),
      el('td', {}, model.version ?? ''),
      el('td', {}, model.task ?? ''),
      el('td', {}, chip(model.status ?? '', model.status === 'trained' ? 'ok' : '')),
      el('td', {}, model.description ?? '', el('details', {}, el('summary', {}, 'manifest'), el('pre', { class: 'result' }, JSON.stringify(model, null, 2)))),
      el('td', {}, el('button', { type: 'button', class: 'small', onclick: () => showModelCard(model.id) }, 'Model card')),
    ),
  );
  byId('models-table').replaceChildren(table(['Id', 'Version', 'Task', 'Status', 'Description', ''], rows, 'No models installed.'));
}

/** The model card the API renders (manifest summary, then the card's markdown as HTML). */
async function showModelCard(id) {
  const response = await fetch(`/api/models/${enc(id)}/card`, { headers: authHeaders() });
  if (!response.ok) return showMessage(`No model card for ${id}: ${response.status}`);
  const panel = byId('model-card');
  // Markup rendered by the node from the models folder: shown in a sandboxed frame (no script, its
  // own origin), never parsed into the console's page.
  const frame = el('iframe', { sandbox: '', title: `model card of ${id}`, class: 'model-card' });
  frame.srcdoc = await response.text();
  panel.replaceChildren(frame);
  panel.hidden = false;
  panel.scrollIntoView();
}

async function detectModels() {
  const response = await fetch('/api/models', { headers: authHeaders() });
  document.querySelector('.tab[data-section="models"]').hidden = !response.ok;
}

// ---------- sections and refresh ----------

const refreshers = {
  series: refreshSeries,
  jobs: refreshJobs,
  rules: refreshRules,
  calibrations: refreshCalibrations,
  destinations: refreshDestinations,
  models: refreshModels,
};

async function refreshActive() {
  try {
    await refreshers[view.section]();
    if (view.jobDetail && byId(view.section).contains(byId(view.jobDetail.panel))) await refreshJobDetail();
    byId('updated-at').textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (view.loadFailed) clearMessage();
    view.loadFailed = false;
  } catch (error) {
    showMessage(`Could not load ${view.section}: ${error.message}`);
    view.loadFailed = true;
  }
}

function showSection(section) {
  view.section = section;
  for (const tab of document.querySelectorAll('.tab')) tab.setAttribute('aria-selected', String(tab.dataset.section === section));
  for (const name of Object.keys(refreshers)) byId(name).hidden = name !== section;
  clearMessage();
  refreshActive();
}

function start() {
  byId('token-form').addEventListener('submit', useToken);
  for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => showSection(tab.dataset.section));
  byId('series-state').addEventListener('change', refreshActive);
  for (const id of ['series-date-from', 'series-date-to']) byId(id).addEventListener('change', refreshActive);
  byId('series-search').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') refreshActive();
  });
  byId('jobs-state').addEventListener('change', refreshActive);
  byId('rule-new').addEventListener('click', () => openEditor(RULE_TEMPLATE, 'New rule'));
  byId('rule-save').addEventListener('click', saveEditor);
  byId('rule-test').addEventListener('click', testEditor);
  byId('rule-cancel').addEventListener('click', () => (byId('rule-editor').hidden = true));
  byId('destination-new').addEventListener('click', () => openDestinationEditor(null));
  byId('destination-editor').addEventListener('submit', saveDestination);
  byId('destination-cancel').addEventListener('click', () => (byId('destination-editor').hidden = true));
  setInterval(() => {
    if (!byId('auto-refresh').checked || document.visibilityState !== 'visible') return;
    refreshHealth();
    // The rule list only changes when someone edits it; refreshing it would not disturb the editor.
    refreshActive();
  }, REFRESH_MS);
  refreshHealth();
  detectModels().catch(() => undefined);
  showSection('series');
}

start();
