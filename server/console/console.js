// The tqdb console: calls the HTTP/JSON API of the server that serves it (same origin), with the
// API key given in the page (kept for this tab only, in sessionStorage). Every value from the
// server is written with textContent, never as HTML: payloads are user data.
'use strict';

const state = { key: sessionStorage.getItem('tqdb-api-key') || '', selected: null };

function $(id) { return document.getElementById(id); }

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

async function api(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.key) headers.Authorization = 'Bearer ' + state.key;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON: reported below */ }
  if (!response.ok) {
    const error = json && json.error ? json.error : { code: String(response.status), message: text };
    throw new Error(error.code + ': ' + error.message);
  }
  return json;
}

function bytes(n) {
  n = Number(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) { n /= 1024; ++unit; }
  return (unit === 0 ? n : n.toFixed(1)) + ' ' + units[unit];
}

function cell(row, text, number) {
  const td = row.insertCell();
  td.textContent = text;
  if (number) td.className = 'number';
  return td;
}

function fillPairs(table, pairs) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const [name, value] of pairs) {
    const row = body.insertRow();
    cell(row, name);
    cell(row, value, true);
  }
}

async function loadCollections() {
  showError('');
  const list = await api('GET', '/collections');
  const body = $('collections').tBodies[0];
  body.replaceChildren();
  const select = $('search-collection');
  const previous = select.value;
  select.replaceChildren();
  for (const name of list.names) {
    const info = await api('GET', '/collections/' + encodeURIComponent(name));
    const row = body.insertRow();
    row.dataset.name = name;
    if (name === state.selected) row.className = 'selected';
    cell(row, name);
    cell(row, Number(info.count).toLocaleString(), true);
    cell(row, info.config.dimension, true);
    cell(row, info.config.metric.replace('METRIC_', '').toLowerCase());
    cell(row, info.config.bits, true);
    cell(row, bytes(info.bytes_on_disk), true);
    cell(row, bytes(info.bytes_in_memory), true);
    cell(row, info.partitioning ? info.partitioning.list_sizes.length : 'flat', true);
    row.addEventListener('click', () => showDetails(name).catch((e) => showError(e.message)));
    const option = document.createElement('option');
    option.value = option.textContent = name;
    select.appendChild(option);
  }
  if (list.names.includes(previous)) select.value = previous;
}

function drawLists(sizes) {
  const svg = $('list-chart');
  svg.replaceChildren();
  if (!sizes.length) return;
  const width = 420, height = 120, max = Math.max(...sizes.map(Number));
  const mean = sizes.reduce((a, b) => a + Number(b), 0) / sizes.length;
  const bar = width / sizes.length;
  const ns = 'http://www.w3.org/2000/svg';
  sizes.forEach((size, i) => {
    const rect = document.createElementNS(ns, 'rect');
    const h = max > 0 ? (Number(size) / max) * height : 0;
    rect.setAttribute('x', i * bar);
    rect.setAttribute('y', height - h);
    rect.setAttribute('width', Math.max(bar - 1, 0.5));
    rect.setAttribute('height', h);
    const title = document.createElementNS(ns, 'title');
    title.textContent = 'list ' + i + ': ' + size + ' vectors';
    rect.appendChild(title);
    svg.appendChild(rect);
  });
  const line = document.createElementNS(ns, 'line');
  const y = height - (mean / max) * height;
  line.setAttribute('x1', 0); line.setAttribute('x2', width);
  line.setAttribute('y1', y); line.setAttribute('y2', y);
  svg.appendChild(line);
  const label = document.createElementNS(ns, 'text');
  label.setAttribute('x', 2); label.setAttribute('y', height + 14);
  label.textContent = sizes.length + ' lists, largest ' + max + ', mean ' + mean.toFixed(1) +
    ' (dashed)';
  svg.appendChild(label);
}

async function showDetails(name) {
  showError('');
  state.selected = name;
  for (const row of $('collections').tBodies[0].rows) {
    row.className = row.dataset.name === name ? 'selected' : '';
  }
  const info = await api('GET', '/collections/' + encodeURIComponent(name));
  $('details').hidden = false;
  $('details-name').textContent = name;
  $('search-collection').value = name;
  const memory = info.memory || {};
  fillPairs($('memory'), [
    ['codes', bytes(memory.codes)], ['factors', bytes(memory.factors)],
    ['ids', bytes(memory.ids)], ['lists', bytes(memory.lists)], ['codec', bytes(memory.codec)],
    ['vectors', bytes(memory.vectors)], ['total', bytes(info.bytes_in_memory)],
    ['payload indexes', bytes(info.payload_index_bytes)],
    ['code bytes per vector', info.code_bytes + ' + 8 of factors'],
  ]);
  $('center').textContent = (info.center.length
    ? 'in use (' + info.config.centering + '), norm ' +
      Math.sqrt(info.center.reduce((a, x) => a + x * x, 0)).toFixed(4)
    : 'none (' + (info.config.centering || 'default') + ')') +
    '; drift ' + Number(info.drift).toFixed(4) + (info.recentering ? ' (re-centering)' : '');
  $('drift-result').textContent = '';
  const p = info.partitioning;
  if (p) {
    $('lists-summary').textContent = p.list_sizes.length + ' lists, nprobe ' + p.nprobe +
      ' by default, largest/mean ' + Number(p.largest_to_mean).toFixed(2) + ', imbalance ' +
      Number(p.imbalance).toFixed(3) + (p.repartitioning ? ' (re-partitioning)' : '');
    drawLists(p.list_sizes);
  } else {
    $('lists-summary').textContent = 'flat: scanned whole until it holds ' +
      Number(info.config.partition_at).toLocaleString() + ' vectors';
    drawLists([]);
  }
}

async function measureDrift() {
  if (!state.selected) return;
  const result = await api('POST', '/collections/' + encodeURIComponent(state.selected) +
    '/recenter', { dry_run: true });
  $('drift-result').textContent = 'drift ' + Number(result.drift).toFixed(4) +
    ' (|mean of the stored vectors - center|)';
}

function renderResults(points) {
  const body = $('results').tBodies[0];
  body.replaceChildren();
  points.forEach((point, i) => {
    const row = body.insertRow();
    cell(row, i + 1, true);
    cell(row, point.id, true);
    cell(row, point.score === undefined ? '' : Number(point.score).toFixed(4), true);
    const pre = document.createElement('pre');
    if (point.payload !== undefined) pre.textContent = JSON.stringify(point.payload);
    else if (point.payload_bytes !== undefined) pre.textContent = '(bytes) ' + point.payload_bytes;
    row.insertCell().appendChild(pre);
  });
}

async function search(event) {
  event.preventDefault();
  showError('');
  const name = $('search-collection').value;
  const query = $('search-query').value.trim();
  const body = {
    limit: Number($('search-k').value) || 10,
    with_payload: true,
    params: { nprobe: Number($('search-nprobe').value) || 0, rerank: $('search-rerank').checked },
  };
  if ($('search-mode').value === 'id') {
    if (!/^[0-9]+$/.test(query)) throw new Error('the query is not an id');
    body.id = query;
  } else {
    body.vector = JSON.parse(query);
  }
  const filter = $('search-filter').value.trim();
  if (filter) body.filter = JSON.parse(filter);
  const start = performance.now();
  const result = await api('POST', '/collections/' + encodeURIComponent(name) + '/points/search',
    body);
  $('search-time').textContent = result.result.length + ' hits in ' +
    (performance.now() - start).toFixed(1) + ' ms';
  renderResults(result.result);
  document.body.dataset.searches = String(Number(document.body.dataset.searches || 0) + 1);
}

async function loadStats() {
  const s = await api('GET', '/stats');
  fillPairs($('stats'), [
    ['collections', s.collections], ['vectors', Number(s.vectors).toLocaleString()],
    ['resident memory', bytes(s.rss_bytes)], ['accounted', bytes(s.accounted_bytes)],
    ['block cache', bytes(s.block_cache_bytes) + ' of ' + bytes(s.block_cache_capacity)],
    ['memtables', bytes(s.memtable_bytes) + ' of ' + bytes(s.write_buffer_limit)],
    ['on disk', bytes(s.disk_bytes)],
  ]);
}

function run(promise) { promise.catch((e) => showError(e.message)); }

$('api-key').value = state.key;
$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.key = $('api-key').value;
  sessionStorage.setItem('tqdb-api-key', state.key);
  run(loadCollections().then(loadStats));
});
$('refresh').addEventListener('click', () => run(loadCollections()));
$('drift').addEventListener('click', () => run(measureDrift()));
$('stats-refresh').addEventListener('click', () => run(loadStats()));
$('search-form').addEventListener('submit', (event) => run(search(event)));
// Stats need an admin key: a failure there is shown but does not hide the collections.
run(loadCollections().then(() => loadStats()));
