/* global document, Node */
/**
 * Tiny DOM helpers. Everything is built with createElement and text nodes (never innerHTML), so
 * data from the API can never become markup.
 */

/** Properties set as DOM properties rather than attributes (live form state). */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'required', 'selected']);

/**
 * Creates an element. `props`: `class`, `on<event>` handlers, form properties, any attribute;
 * `undefined`/`null`/`false` values are skipped. Children: nodes, strings, arrays, or nothing.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (PROPERTIES.has(name)) {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

let counter = 0;

/** A page-unique id, for label/aria wiring. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form control: `<div class="field"><label for>…</label><input id>…</div>`. */
export function field(label, control, hint) {
  const id = control.id || uid('field');
  control.id = id;
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  if (hintId !== undefined) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint === undefined ? undefined : h('p', { class: 'hint', id: hintId }, hint),
  );
}

/** A group of checkboxes in a fieldset; `selected()` returns the checked values. */
export function checkboxGroup(legend, options, checked = []) {
  const boxes = options.map((option) =>
    h('input', { type: 'checkbox', value: option.value, checked: checked.includes(option.value) }),
  );
  const element = h(
    'fieldset',
    { class: 'checks' },
    h('legend', {}, legend),
    options.length === 0 ? h('p', { class: 'hint' }, 'None defined.') : undefined,
    options.map((option, index) => h('label', { class: 'check' }, boxes[index], option.label)),
  );
  return {
    element,
    selected: () => boxes.filter((box) => box.checked).map((box) => box.value),
  };
}

/** Replaces an element's children. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** An inline error line (`role="alert"` so screen readers hear it); empty until set. */
export function errorLine() {
  const element = h('p', { class: 'error', role: 'alert' });
  return {
    element,
    show: (message) => {
      element.textContent = message;
    },
    clear: () => {
      element.textContent = '';
    },
  };
}

/** A table whose cells carry `data-label` so narrow screens can show rows as cards. */
export function table(caption, columns, rows) {
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((column) => h('th', { scope: 'col' }, column)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) =>
        h(
          'tr',
          {},
          cells.map((cell, index) => h('td', { 'data-label': columns[index] ?? '' }, cell)),
        ),
      ),
    ),
  );
}

/**
 * A button that shows and hides `form` (a disclosure: `aria-expanded` follows it) and moves focus
 * to `focusTarget` when the form opens.
 */
export function disclosureButton(label, form, focusTarget) {
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      'aria-expanded': 'false',
      'aria-controls': form.id,
      onclick: () => {
        form.hidden = !form.hidden;
        toggle.setAttribute('aria-expanded', String(!form.hidden));
        if (!form.hidden) focusTarget.focus();
      },
    },
    label,
  );
  return toggle;
}
