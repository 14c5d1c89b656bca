/**
 * `{@attach focusOnMount}`: focus the element as it appears, so what a form just made (a key shown once) is where
 * keyboard and screen-reader users are. The element needs `tabindex="-1"` unless it is a control.
 */
export function focusOnMount(element: HTMLElement) {
  element.focus();
}
