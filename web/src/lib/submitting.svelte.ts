import type { ActionResult, SubmitFunction } from "$app/forms";

/**
 * A form's in-flight flag for `use:enhance`: true from the click until the page has the action's answer, so its
 * button can say so and refuse a second submission. Without JavaScript the form posts as usual.
 * `options` go to SvelteKit's `update()` as they are; `settled` hears the action's result once the page has it.
 */
export function submitting(options: { reset?: boolean } = {}, settled?: (result: ActionResult) => void) {
  let active = $state(false);
  const submit: SubmitFunction = () => {
    active = true;
    return async ({ result, update }) => {
      await update(options);
      active = false;
      settled?.(result);
    };
  };
  return {
    get active() {
      return active;
    },
    submit,
  };
}
