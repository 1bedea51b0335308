/**
 * A self-contained docs page (no CDN, no external scripts): it reads /openapi.json and lists every operation with its
 * request schema. Kept deliberately small; any OpenAPI 3.1 viewer can render /openapi.json in full.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kandinsky image API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 960px; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { margin-bottom: .25rem; }
  .op { border: 1px solid #ddd; border-radius: 8px; margin: 1rem 0; padding: .75rem 1rem; }
  .method { font-weight: 700; text-transform: uppercase; margin-right: .5rem; }
  .get { color: #0a7; } .post { color: #06c; } .delete { color: #c30; }
  code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f6f8fa; padding: .75rem; overflow: auto; border-radius: 6px; max-height: 24rem; }
  details summary { cursor: pointer; }
</style>
</head>
<body>
<h1>Kandinsky image API</h1>
<p id="description"></p>
<p>Machine-readable spec: <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI 3.1).</p>
<div id="ops">Loading…</div>
<script>
  const text = (tag, value, className) => {
    const node = document.createElement(tag);
    node.textContent = value;
    if (className) node.className = className;
    return node;
  };
  const resolve = (doc, schema) => {
    if (schema && schema.$ref) return doc.components.schemas[schema.$ref.split('/').pop()];
    return schema;
  };
  fetch('/openapi.json').then((r) => r.json()).then((doc) => {
    document.getElementById('description').textContent = doc.info.description;
    const ops = document.getElementById('ops');
    ops.textContent = '';
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const box = document.createElement('section');
        box.className = 'op';
        const head = document.createElement('div');
        head.append(text('span', method, 'method ' + method), text('code', path));
        box.append(head, text('p', op.summary + (op.description ? ' — ' + op.description : '')));
        const body = op.requestBody && op.requestBody.content['application/json'];
        if (body) {
          const details = document.createElement('details');
          details.append(text('summary', 'Request body schema'), text('pre', JSON.stringify(resolve(doc, body.schema), null, 2)));
          box.append(details);
        }
        box.append(text('p', 'Responses: ' + Object.keys(op.responses).join(', ')));
        ops.append(box);
      }
    }
  });
</script>
</body>
</html>`;
