// countd's web page: counters matching a glob with live values (Server-Sent Events from
// /api/watch), and the series of the one selected (/api/series) drawn as SVG bars.
// Counter names are data: they only ever reach the page as textContent, never as markup.

const SVG = 'http://www.w3.org/2000/svg';
// Rows shown at most: the server sends up to this many from a search, the stream may add more.
const MAX_ROWS = 1000;
// A chart re-reads its series at most this often while its counter changes.
const CHART_REFRESH_MS = 2000;
const SINCE_CHOICES = {
  minute: ['1h', '6h', '24h', '48h'],
  hour: ['24h', '7d', '35d'],
  day: ['30d', '90d', '400d'],
};
const CHART = { width: 800, height: 260, left: 56, right: 8, top: 12, bottom: 28 };

const $ = (id) => document.getElementById(id);
const rows = new Map(); // name -> <tr>
const state = {
  glob: '*',
  source: undefined,
  // Names the stream gave a value since it (re)connected: a listing read earlier must not
  // overwrite them with an older value.
  live: new Set(),
  selected: undefined,
  steps: ['minute', 'hour', 'day'],
  chartTimer: undefined,
  chartAsked: 0,
};

function setStatus(text, down = false) {
  $('status').textContent = text;
  $('status').classList.toggle('down', down);
}

function setNote(element, text, error = false) {
  element.textContent = text;
  element.classList.toggle('error', error);
}

function byName(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Shows `value` for `name`, adding its row in name order if it is new. */
function setRow(name, value, changed) {
  let row = rows.get(name);
  if (row === undefined) {
    if (rows.size >= MAX_ROWS) return;
    row = document.createElement('tr');
    row.dataset.name = name;
    row.setAttribute('aria-selected', String(name === state.selected));
    const nameCell = document.createElement('td');
    nameCell.className = 'name';
    nameCell.textContent = name;
    const valueCell = document.createElement('td');
    valueCell.className = 'value';
    row.append(nameCell, valueCell);
    row.addEventListener('click', () => select(name));
    const body = $('counters').tBodies[0];
    const after = [...rows.keys()].sort(byName).find((other) => byName(other, name) > 0);
    body.insertBefore(row, after === undefined ? null : rows.get(after));
    rows.set(name, row);
  }
  row.cells[1].textContent = value;
  if (changed) {
    row.classList.remove('changed');
    void row.offsetWidth; // restarts the flash animation
    row.classList.add('changed');
  }
}

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

async function list(glob) {
  try {
    const found = await getJson(`/api/counters?glob=${encodeURIComponent(glob)}`);
    if (glob !== state.glob) return;
    for (const [name, value] of found.counters)
      if (!state.live.has(name)) setRow(name, value, false);
    const shown = found.counters.length;
    setNote(
      $('note'),
      found.more
        ? `the first ${shown} counters matching, by name; narrow the glob to see others`
        : shown === 0
          ? 'no counter matches yet; new ones appear here as they are counted'
          : `${shown} counter${shown === 1 ? '' : 's'}`,
    );
  } catch (err) {
    setNote($('note'), err.message, true);
  }
}

/** Shows the counters matching `glob` and follows their values. */
function search(glob) {
  state.source?.close();
  state.glob = glob;
  state.live = new Set();
  rows.clear();
  $('counters').tBodies[0].replaceChildren();
  setNote($('note'), '');
  saveLocation();
  const source = new EventSource(`/api/watch?glob=${encodeURIComponent(glob)}`);
  state.source = source;
  source.addEventListener('open', () => {
    state.live = new Set();
    setStatus('connecting…');
  });
  source.addEventListener('ready', (event) => {
    const { nodes, down } = JSON.parse(event.data);
    setStatus(
      down.length === 0
        ? `live: ${nodes.length} node${nodes.length === 1 ? '' : 's'}`
        : `live, but no updates yet from node ${down.join(', ')}`,
      down.length > 0,
    );
    // Listed once subscribed: an update after this point is not missed, one before it is listed.
    void list(glob);
  });
  source.addEventListener('update', (event) => {
    for (const [name, value] of JSON.parse(event.data)) {
      state.live.add(name);
      setRow(name, value, true);
      if (name === state.selected) refreshChartSoon();
    }
  });
  source.addEventListener('lost', (event) => {
    setStatus(
      `node ${JSON.parse(event.data).node} lost: its updates are missing until it is back`,
      true,
    );
  });
  source.addEventListener('error', async () => {
    if (source.readyState === EventSource.CLOSED) {
      // A 400 ends the stream for good: say why (the listing gives the same reason).
      setStatus('not live', true);
      void list(glob);
    } else setStatus('reconnecting…', true);
  });
}

function select(name) {
  state.selected = name;
  for (const [other, row] of rows) row.setAttribute('aria-selected', String(other === name));
  $('chart').hidden = false;
  saveLocation();
  void drawChart();
}

function fillSince(step, wanted) {
  const since = $('since');
  const choices = SINCE_CHOICES[step];
  since.replaceChildren(
    ...choices.map((choice) => {
      const option = document.createElement('option');
      option.value = choice;
      option.textContent = choice;
      return option;
    }),
  );
  since.value = choices.includes(wanted) ? wanted : choices[0];
}

function refreshChartSoon() {
  if (state.chartTimer !== undefined) return;
  const wait = Math.max(0, state.chartAsked + CHART_REFRESH_MS - Date.now());
  state.chartTimer = setTimeout(() => {
    state.chartTimer = undefined;
    void drawChart();
  }, wait);
}

function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function timeLabel(ms, step) {
  const iso = new Date(ms).toISOString();
  return step === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

async function drawChart() {
  const name = state.selected;
  if (name === undefined) return;
  const step = $('step').value;
  const since = $('since').value;
  state.chartAsked = Date.now();
  $('chart-title').textContent = name;
  const path = `/api/series?name=${encodeURIComponent(name)}&step=${step}&since=${since}`;
  let series;
  try {
    series = await getJson(path);
  } catch (err) {
    setNote($('chart-note'), err.message, true);
    $('series').replaceChildren();
    return;
  }
  if (name !== state.selected || step !== $('step').value || since !== $('since').value) return;
  const values = series.points.map(([, value]) => Number(value));
  const top = Math.max(0, ...values);
  const bottom = Math.min(0, ...values);
  const span = top - bottom || 1;
  const { width, height, left, right, top: padTop, bottom: padBottom } = CHART;
  const plotWidth = width - left - right;
  const plotHeight = height - padTop - padBottom;
  const y = (value) => padTop + ((top - value) / span) * plotHeight;
  const slot = plotWidth / Math.max(1, series.points.length);
  const gap = slot > 4 ? 1 : 0;
  const parts = [];
  series.points.forEach(([start, value], i) => {
    const v = Number(value);
    const bar = svg('rect', {
      class: v < 0 ? 'bar negative' : 'bar',
      x: (left + i * slot).toFixed(2),
      y: Math.min(y(v), y(0)).toFixed(2),
      width: Math.max(0.5, slot - gap).toFixed(2),
      height: Math.abs(y(v) - y(0)).toFixed(2),
      'data-start': start,
      'data-value': value,
    });
    bar.append(svg('title', {}, `${timeLabel(start, series.step)} UTC: ${value}`));
    parts.push(bar);
  });
  parts.push(svg('line', { class: 'axis', x1: left, x2: width - right, y1: y(0), y2: y(0) }));
  parts.push(svg('text', { x: left - 6, y: padTop + 4, 'text-anchor': 'end' }, String(top)));
  if (bottom < 0)
    parts.push(
      svg('text', { x: left - 6, y: height - padBottom, 'text-anchor': 'end' }, String(bottom)),
    );
  parts.push(svg('text', { x: left - 6, y: y(0) + 4, 'text-anchor': 'end' }, '0'));
  const first = series.points[0]?.[0];
  if (first !== undefined) {
    parts.push(svg('text', { x: left, y: height - 8 }, `${timeLabel(first, series.step)} UTC`));
    const last = series.points[series.points.length - 1][0];
    parts.push(
      svg(
        'text',
        { x: width - right, y: height - 8, 'text-anchor': 'end' },
        timeLabel(last, series.step),
      ),
    );
  }
  $('series').replaceChildren(...parts);
  const total = series.points.reduce((sum, [, value]) => sum + BigInt(value), 0n);
  setNote(
    $('chart-note'),
    `${series.points.length} ${series.step}s, ${total} in all (UTC buckets; the last one is still counting)`,
  );
}

function saveLocation() {
  const params = new URLSearchParams({ glob: state.glob });
  if (state.selected !== undefined) {
    params.set('name', state.selected);
    params.set('step', $('step').value);
    params.set('since', $('since').value);
  }
  history.replaceState(null, '', `#${params}`);
}

async function start() {
  const saved = new URLSearchParams(location.hash.slice(1));
  try {
    state.steps = (await getJson('/api/info')).steps;
  } catch (err) {
    setStatus(err.message, true);
  }
  const step = $('step');
  step.replaceChildren(
    ...state.steps.map((name) => {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      return option;
    }),
  );
  if (state.steps.includes(saved.get('step'))) step.value = saved.get('step');
  fillSince(step.value, saved.get('since'));
  step.addEventListener('change', () => {
    fillSince(step.value, undefined);
    saveLocation();
    void drawChart();
  });
  $('since').addEventListener('change', () => {
    saveLocation();
    void drawChart();
  });
  $('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const glob = $('glob').value;
    if (glob !== '') search(glob);
  });
  if (state.steps.length === 0)
    setNote($('chart-note'), 'no rollups are kept (COUNTD_ROLLUPS): no charts');
  const glob = saved.get('glob') || '*';
  $('glob').value = glob;
  search(glob);
  const name = saved.get('name');
  if (name !== null && state.steps.length > 0) select(name);
}

void start();
