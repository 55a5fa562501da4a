/**
 * A flame graph (SVG, no dependencies) from a V8 `.cpuprofile` (`node --cpu-prof`): one box per
 * call-tree node, width = samples under it, root at the bottom; idle samples are left out.
 * Colours: Portcullis's own code blue, dependencies orange, Node internals and V8 grey. Each box
 * has a `<title>` (hover) with the frame, its file and its share of the busy samples.
 */
const escapeXml = (s) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function where(url) {
  return url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, '')
    .replace(/.*\/packages\//, 'packages/');
}

function colour(url) {
  if (url.includes('/packages/')) return '#63b3ed';
  if (url.includes('/node_modules/')) return '#f6ad55';
  return '#cbd5e0';
}

export function flameGraphSvg(profile, { title, width = 1200 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
  const total = new Map();
  const sum = (node) => {
    let t = node.callFrame.functionName === '(idle)' ? 0 : (self.get(node.id) ?? 0);
    for (const child of node.children ?? []) t += sum(byId.get(child));
    total.set(node.id, t);
    return t;
  };
  const root = profile.nodes[0];
  const busy = sum(root);
  const rowHeight = 16;
  let depthMax = 0;
  const boxes = [];
  const layout = (node, x, depth) => {
    const t = total.get(node.id) ?? 0;
    const w = (t / busy) * (width - 20);
    if (w < 1 || depth > 60) return;
    depthMax = Math.max(depthMax, depth);
    boxes.push({ node, x, w, depth, t });
    let cx = x;
    const children = (node.children ?? []).map((c) => byId.get(c));
    children.sort((a, b) => a.callFrame.functionName.localeCompare(b.callFrame.functionName));
    for (const child of children) {
      layout(child, cx, depth + 1);
      cx += ((total.get(child.id) ?? 0) / busy) * (width - 20);
    }
  };
  layout(root, 10, 0);
  const top = 40;
  const height = top + (depthMax + 1) * rowHeight + 30;
  const parts = [
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title ?? 'CPU profile')}</text>`,
    `<text x="10" y="34" font-size="11" fill="#4a5568">${busy} busy samples (idle left out) · width = share of samples · blue: Portcullis, orange: dependencies, grey: Node/V8 · hover for details</text>`,
  ];
  for (const { node, x, w, depth, t } of boxes) {
    const y = height - 30 - (depth + 1) * rowHeight;
    const name = node.callFrame.functionName || (depth === 0 ? 'all' : '(anonymous)');
    const file = where(node.callFrame.url);
    const label = `${name}${file ? ` ${file}:${node.callFrame.lineNumber + 1}` : ''}`;
    const pct = ((100 * t) / busy).toFixed(1);
    const maxChars = Math.floor((w - 4) / 6.5);
    const text =
      maxChars >= 4
        ? `<text x="${(x + 2).toFixed(1)}" y="${y + 12}" font-size="10.5">${escapeXml(
            label.length > maxChars ? `${label.slice(0, maxChars - 1)}…` : label,
          )}</text>`
        : '';
    parts.push(
      `<g><title>${escapeXml(`${label} — ${pct}% of busy samples`)}</title>` +
        `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${rowHeight - 1}" fill="${depth === 0 ? '#e2e8f0' : colour(node.callFrame.url)}"/>${text}</g>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`
  );
}
