import { h } from './dom.js';

/**
 * A WAI-ARIA tablist with automatic activation: ArrowLeft/ArrowRight (wrapping), Home and End
 * move focus and select; only the selected tab is in the Tab order. `tabs`: `[{ id, label,
 * render(panel) }]`; a panel is rendered (and so refreshed) each time its tab is selected.
 */
export function createTabs(label, tabs, onSelect) {
  const buttons = [];
  const panels = [];
  const tablist = h('div', { role: 'tablist', 'aria-label': label, class: 'tablist' });
  const panelHolder = h('div', { class: 'panels' });

  function select(index, focus) {
    buttons.forEach((button, position) => {
      const selected = position === index;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      panels[position].hidden = !selected;
    });
    if (focus) buttons[index].focus();
    const tab = tabs[index];
    void tab.render(panels[index]);
    onSelect?.(tab.id);
  }

  tabs.forEach((tab, index) => {
    const button = h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${tab.id}`,
        'aria-controls': `panel-${tab.id}`,
        'aria-selected': 'false',
        tabindex: '-1',
        onclick: () => select(index, false),
        onkeydown: (event) => {
          const last = tabs.length - 1;
          const target = {
            ArrowRight: index === last ? 0 : index + 1,
            ArrowLeft: index === 0 ? last : index - 1,
            Home: 0,
            End: last,
          }[event.key];
          if (target === undefined) return;
          event.preventDefault();
          select(target, true);
        },
      },
      tab.label,
    );
    const panel = h('section', {
      role: 'tabpanel',
      id: `panel-${tab.id}`,
      'aria-labelledby': `tab-${tab.id}`,
      tabindex: '0',
      class: 'panel',
      hidden: true,
    });
    buttons.push(button);
    panels.push(panel);
    tablist.append(button);
    panelHolder.append(panel);
  });

  return {
    element: h('div', { class: 'tabs' }, tablist, panelHolder),
    select: (id) =>
      select(
        Math.max(
          0,
          tabs.findIndex((tab) => tab.id === id),
        ),
        false,
      ),
  };
}
