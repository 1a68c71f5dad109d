// Validators for `defaults` and `credentials` entries, shared by both nodes.
//
// Each returns a function of two parameters: Node-RED 3.x and later then show a returned string
// as the reason beside the input (and in the node's tooltip in the workspace), while `true`
// means valid. Messages come from the node's catalogue, `validation.<key>`, prefixed with the
// property's label when Node-RED passes one. Node-RED itself accepts `${ENV_VAR}` for any
// property before a validator runs.
import { catalogue } from './i18n';
import type { ValidateOptions, Validator, ValidatorThis } from './red';

/** The reason for an invalid value, from the validated node's catalogue. */
export function invalid(
  node: ValidatorThis,
  opt: ValidateOptions | undefined,
  key: string,
  subs?: Record<string, string | number>,
): string {
  const reason = catalogue(node.type)(`validation.${key}`, subs);
  return opt && opt.label ? `${opt.label}: ${reason}` : reason;
}

/** The value as trimmed text: a number as its decimal form, anything else as "". */
export function text(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return typeof value === 'string' ? value.trim() : '';
}

/** A whole number of at least `min` (a dialog input gives text, a stored flow a number). */
export function integerAtLeast(min: number): Validator {
  return function (value, opt) {
    const digits = text(value);
    if (/^\d{1,15}$/.test(digits) && Number(digits) >= min) return true;
    return invalid(this, opt, 'integer', { min });
  };
}

/** One of a fixed set of values (a select's options). */
export function oneOf(values: readonly string[]): Validator {
  return function (value, opt) {
    if (typeof value === 'string' && values.includes(value)) return true;
    return invalid(this, opt, 'one-of', { value: String(value), values: values.join(', ') });
  };
}

/** The current value of a dialog input when that dialog is open, else the stored property. */
export function currentValue(inputId: string, stored: unknown): unknown {
  const input = $(`#${inputId}`);
  if (input.length === 0) return stored;
  return input.attr('type') === 'checkbox' ? input.prop('checked') : input.val();
}
