/**
 * Stylesheet of the playground: one column on phones, form and results side by side from 960 px, light and dark
 * schemes, visible focus, 44 px touch targets.
 */
export const PLAYGROUND_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f5f5f7; --panel: #ffffff; --text: #1b1b1f; --muted: #5b5b66; --border: #c9c9d1;
  --accent: #4b3fd1; --accent-text: #ffffff; --error: #b3261e; --error-bg: #fdecea; --focus: #1a73e8;
  --radius: 10px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  line-height: 1.45;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #131316; --panel: #1e1e23; --text: #ececf1; --muted: #a6a6b3; --border: #3d3d47;
    --accent: #9d94ff; --accent-text: #131316; --error: #ffb4ab; --error-bg: #3b1512; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
.skip-link { position: absolute; left: -9999px; }
.skip-link:focus { left: 1rem; top: 1rem; background: var(--panel); padding: .5rem 1rem; z-index: 10; }
.site-header { padding: 1rem 1rem 0; max-width: 1400px; margin: 0 auto; }
.site-header p { margin: 0; color: var(--muted); }
.layout { display: grid; gap: 1rem; padding: 1rem; max-width: 1400px; margin: 0 auto; grid-template-columns: minmax(0, 1fr); }
@media (min-width: 960px) { .layout { grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); align-items: start; } }
.column { display: grid; gap: 1rem; min-width: 0; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: 1rem; min-width: 0; }
.field { display: grid; gap: .3rem; margin-bottom: .9rem; min-width: 0; align-content: start; }
.field > label, .mask-tools label { font-weight: 600; }
.hint { margin: 0; color: var(--muted); font-size: .875rem; }
.grid { display: grid; gap: 0 1rem; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); }
.row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.row > input[type=password], .row > input[type=text] { flex: 1 1 12rem; }
input, select, textarea, button { font: inherit; color: inherit; }
input:not([type=range]):not([type=file]), select, textarea {
  min-height: 44px; padding: .5rem .6rem; border: 1px solid var(--border); border-radius: 6px; background: var(--bg); width: 100%;
}
textarea { resize: vertical; }
input[type=range] { width: 100%; min-height: 44px; accent-color: var(--accent); }
input[type=file] { min-height: 44px; max-width: 100%; }
input[type=file]::file-selector-button { min-height: 44px; padding: .45rem 1rem; margin-right: .6rem; border-radius: 6px; border: 1px solid var(--border); background: var(--bg); color: inherit; font: inherit; }
button { min-height: 44px; padding: .45rem 1rem; border-radius: 6px; border: 1px solid var(--border); background: var(--bg); cursor: pointer; }
button.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); font-weight: 600; }
button:disabled { opacity: .55; cursor: not-allowed; }
button[aria-pressed=true] { background: var(--accent); color: var(--accent-text); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
[aria-invalid=true] { border-color: var(--error) !important; box-shadow: 0 0 0 1px var(--error); }
.field-error { margin: 0; color: var(--error); font-size: .9rem; font-weight: 600; }
.form-error { background: var(--error-bg); color: var(--error); border-radius: 6px; padding: .6rem .8rem; margin-bottom: .8rem; font-weight: 600; }
.tabs { display: flex; flex-wrap: wrap; gap: .25rem; margin-bottom: .75rem; border-bottom: 1px solid var(--border); }
.tabs [role=tab] { padding: .45rem .7rem; border: none; border-bottom: 3px solid transparent; border-radius: 6px 6px 0 0; background: none; white-space: nowrap; }
.tabs [role=tab][aria-selected=true] { border-bottom-color: var(--accent); font-weight: 700; }
.tab-panel { margin-bottom: .5rem; }
.tab-panel > .hint { margin-bottom: .75rem; }
.preview { max-width: 100%; max-height: 16rem; border-radius: 6px; justify-self: start; }
.fuse { border: 1px solid var(--border); border-radius: 6px; margin: 0 0 .9rem; padding: .5rem .75rem .75rem; min-width: 0; }
.fuse legend { font-weight: 600; padding: 0 .25rem; }
.fuse-list { list-style: none; padding: 0; margin: .5rem 0; display: grid; gap: .75rem; }
.fuse-item { display: grid; gap: .4rem; padding: .6rem; border: 1px dashed var(--border); border-radius: 6px; }
.fuse-item > button { justify-self: start; }
.fuse-item img { max-height: 6rem; max-width: 100%; border-radius: 4px; }
.mask-editor { margin-bottom: .9rem; }
.mask-stage { position: relative; width: 100%; max-width: 32rem; line-height: 0; }
.mask-stage img { width: 100%; height: auto; display: block; border-radius: 6px; }
.mask-stage canvas { position: absolute; inset: 0; width: 100%; height: 100%; opacity: .55; touch-action: none; cursor: crosshair; border-radius: 6px; }
.mask-tools input[type=range] { flex: 1 1 8rem; width: auto; }
.actions { margin-top: .5rem; }
.job-status { margin-top: .75rem; }
.job-status p { margin: 0 0 .3rem; }
.live { margin: .5rem 0 0; }
.live img { max-width: 100%; max-height: 20rem; border-radius: 6px; display: block; }
.live figcaption { font-size: .85rem; opacity: .8; }
.field.checkbox { grid-template-columns: auto 1fr; align-items: center; column-gap: .5rem; }
.field.checkbox .hint { grid-column: 1 / -1; }
progress { width: 100%; height: 1rem; accent-color: var(--accent); }
.gallery { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 16rem), 1fr)); }
.gallery figure { margin: 0; border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; background: var(--bg); }
.gallery img { display: block; width: 100%; height: auto; background: repeating-conic-gradient(#8883 0 25%, transparent 0 50%) 0 0 / 16px 16px; }
.gallery figcaption { padding: .6rem .75rem .75rem; font-size: .875rem; }
.gallery .prompt { font-weight: 600; margin: 0 0 .4rem; overflow-wrap: anywhere; }
.params { display: grid; grid-template-columns: auto 1fr; gap: .1rem .6rem; margin: 0 0 .6rem; }
.params dt { color: var(--muted); }
.params dd { margin: 0; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.gallery .row button { min-height: 40px; padding: .3rem .7rem; }
.failed { color: var(--error); }
[hidden] { display: none !important; }
`;
