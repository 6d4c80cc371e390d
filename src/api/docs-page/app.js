// Renders /api/openapi.json as a browsable list. Self-contained: no CDN, no inline script (CSP default-src 'self').
'use strict';
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};
const pre = (v) => el('pre', {}, JSON.stringify(v, null, 2));

function operation(path, method, op) {
  const body = el('div', { class: 'body' });
  if (op.description) body.append(el('p', {}, op.description));
  body.append(el('p', {}, `Minimum role: ${op['x-rampart-access']}`));
  if (op.parameters && op.parameters.length) {
    const t = el('table', {}, el('tr', {}, el('th', {}, 'parameter'), el('th', {}, 'in'), el('th', {}, 'required'), el('th', {}, 'schema')));
    for (const p of op.parameters) t.append(el('tr', {}, el('td', { class: 'p' }, p.name), el('td', {}, p.in), el('td', {}, p.required ? 'yes' : ''), el('td', {}, pre(p.schema))));
    body.append(t);
  }
  if (op.requestBody) body.append(el('h4', {}, 'Request body'), pre(op.requestBody.content['application/json'].schema));
  for (const [status, r] of Object.entries(op.responses)) {
    if (r.$ref) continue;
    body.append(el('h4', {}, `Response ${status}`));
    for (const [type, c] of Object.entries(r.content || {})) body.append(el('p', {}, type), pre(c.schema));
  }
  const d = el('details', { 'data-text': `${method} ${path} ${op.summary} ${op['x-rampart-access']}`.toLowerCase() },
    el('summary', {}, el('span', { class: `m ${method.toUpperCase()}` }, method.toUpperCase()), el('span', { class: 'p' }, path), el('span', { class: 's' }, op.summary), el('span', { class: 'r' }, op['x-rampart-access'])),
    body);
  return d;
}

async function main() {
  const doc = await (await fetch('/api/openapi.json', { credentials: 'same-origin' })).json();
  document.getElementById('intro').textContent = `${doc.info.title} ${doc.info.version} (OpenAPI ${doc.openapi}). ${doc.info.description}`;
  const ops = document.getElementById('ops');
  const byTag = new Map();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, op));
    }
  }
  for (const [tag, items] of byTag) ops.append(el('h2', {}, tag), ...items);
  document.getElementById('filter').addEventListener('input', (e) => {
    const q = e.target.value.toLowerCase();
    for (const d of ops.querySelectorAll('details')) d.hidden = q !== '' && !d.dataset.text.includes(q);
  });
}
main().catch((err) => { document.getElementById('intro').textContent = `Could not load the document: ${err}`; });
