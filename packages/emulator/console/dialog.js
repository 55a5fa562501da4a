/* global document */
import { h, uid } from './dom.js';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog (native `<dialog>` + `showModal()`, so the page behind is inert). Tab and
 * Shift+Tab wrap inside it, Escape cancels, and focus returns to the control that opened it.
 * `content` may hold form controls: confirming submits the dialog's form, so `required` fields
 * are checked first. Resolves true when confirmed, false when cancelled.
 */
export function showDialog({ title, content, confirmLabel = 'Confirm', danger = false }) {
  const opener = document.activeElement;
  const titleId = uid('dialog-title');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const confirm = h(
    'button',
    { type: 'submit', class: danger ? 'danger' : 'primary' },
    confirmLabel,
  );
  const form = h(
    'form',
    {},
    h('h2', { id: titleId }, title),
    h('div', { class: 'dialog-body' }, content),
    h('div', { class: 'actions' }, cancel, confirm),
  );
  const dialog = h('dialog', { 'aria-labelledby': titleId, 'aria-modal': 'true' }, form);

  return new Promise((resolve) => {
    let result = false;
    const finish = (confirmed) => {
      result = confirmed;
      dialog.close();
    };
    cancel.addEventListener('click', () => finish(false));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (form.reportValidity()) finish(true);
    });
    dialog.addEventListener('cancel', (event) => {
      // Escape: close ourselves so the promise settles the same way as Cancel.
      event.preventDefault();
      finish(false);
    });
    dialog.addEventListener('keydown', (event) => {
      if (event.key !== 'Tab') return;
      const focusable = [...dialog.querySelectorAll(FOCUSABLE)];
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (first === undefined || last === undefined) return;
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && typeof opener.focus === 'function' && opener.isConnected) opener.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    // A destructive confirmation starts on Cancel; a form starts on its first field.
    const firstField = dialog.querySelector('.dialog-body input, .dialog-body select');
    (danger || firstField === null ? cancel : firstField).focus();
  });
}

/** A yes/no confirmation for a destructive action. */
export function confirmDanger(title, message, confirmLabel) {
  return showDialog({ title, content: h('p', {}, message), confirmLabel, danger: true });
}
