/**
 * Browser module `tabs.js`: the task tabs, following the WAI-ARIA tabs pattern (roving tabindex; arrow keys, Home and
 * End move between tabs and select them).
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const TABS_JS = String.raw`
/**
 * Wires a role=tablist element. Each tab names its panel with aria-controls and its task with data-task.
 * @param {HTMLElement} tablist
 * @param {(task: string) => void} onSelect
 * @returns {{ select: (task: string) => void, selected: () => string }}
 */
export function setupTabs(tablist, onSelect) {
  const tabs = Array.from(tablist.querySelectorAll('[role=tab]'));
  let current = tabs.find((tab) => tab.getAttribute('aria-selected') === 'true') ?? tabs[0];

  function activate(tab, focus) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute('aria-controls')).hidden = !selected;
    }
    current = tab;
    if (focus) tab.focus();
    onSelect(tab.dataset.task);
  }

  tablist.addEventListener('click', (event) => {
    const tab = event.target.closest('[role=tab]');
    if (tab) activate(tab, false);
  });
  tablist.addEventListener('keydown', (event) => {
    const index = tabs.indexOf(current);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    activate(tabs[(moves[event.key] + tabs.length) % tabs.length], true);
  });

  return {
    select(task) {
      const tab = tabs.find((candidate) => candidate.dataset.task === task);
      if (tab) activate(tab, false);
    },
    selected: () => current.dataset.task,
  };
}
`;
