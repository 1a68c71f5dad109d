// The release node's properties, the product code check and what its dialog does.
import { catalogue } from '../shared/i18n';
import type { EditorNode, Validator } from '../shared/red';
import { currentValue, invalid, text } from '../shared/validators';

export const TYPE = 'movilitas-release-serials';

/** Where the default product code may come from (typedInput types). */
export const PRODUCT_CODE_TYPES = ['str', 'msg', 'flow', 'global', 'env'] as const;
export type ProductCodeType = (typeof PRODUCT_CODE_TYPES)[number];

export interface ReleaseProperties {
  name: string;
  config: string;
  productCode: string;
  productCodeType: ProductCodeType;
  verifyCheckDigit: boolean;
  validateSerials: boolean;
  maxSerialsPerRequest: number | string;
  coalesceMs: number | string;
  reportToCatch: boolean;
}

type ReleaseNode = EditorNode<ReleaseProperties>;

/** The GS1 check digit for the digits of a GTIN before its last one. */
export function gtinCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // Weights 3, 1, 3, ... from the rightmost digit of the body.
    const weight = (body.length - i) % 2 === 1 ? 3 : 1;
    sum += Number(body[i]) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

function productCodeTypeOf(node: ReleaseNode): string {
  return String(currentValue('node-input-productCodeType', node.productCodeType) || 'str');
}

/**
 * The default product code. A fixed one (type `str`) is optional, as the payload may carry
 * the code, but when set it must be a GTIN-8, -12, -13 or -14 with a correct check digit
 * (unless that check is turned off). The other types need a property or variable name.
 */
export const validateProductCode: Validator<ReleaseNode> = function (value, opt) {
  const type = productCodeTypeOf(this);
  const code = text(value);
  if (type === 'str') {
    if (code === '') return true;
    if (!/^(?:\d{8}|\d{12,14})$/.test(code)) return invalid(this, opt, 'product-code');
    if (currentValue('node-input-verifyCheckDigit', this.verifyCheckDigit) !== false) {
      const expected = gtinCheckDigit(code.slice(0, -1));
      if (expected !== Number(code.slice(-1))) return invalid(this, opt, 'check-digit', { expected });
    }
    return true;
  }
  if (!(PRODUCT_CODE_TYPES as readonly string[]).includes(type)) {
    return invalid(this, opt, 'one-of', { value: type, values: PRODUCT_CODE_TYPES.join(', ') });
  }
  if (code === '') return invalid(this, opt, `product-code-${type}`);
  // Node-RED's own check of a msg property or context key (it reads the type the same way).
  return RED.validators.typedInput('productCodeType').call(this, value, opt);
};

/** The label in the workspace: the name, else a fixed product code, else the type's label. */
export function releaseLabel(node: ReleaseProperties): string {
  const code = (node.productCodeType || 'str') === 'str' ? text(node.productCode) : '';
  return node.name || code || catalogue(TYPE)('label.node');
}

/** Sets up the dialog: the product code as a typedInput. */
export function prepareReleaseDialog(): void {
  $('#node-input-productCode').typedInput({
    default: 'str',
    typeField: $('#node-input-productCodeType'),
    types: [...PRODUCT_CODE_TYPES],
  });
}
