// Editor side of the `movilitas-release-serials` node: releases serial numbers through the
// Manufacturer V2 API. The definition stays literal in this call: the Flow Library scorecard
// reads it from the built .html (category, color, icon, inputs, outputs, defaults).
import { catalogue } from '../shared/i18n';
import { integerAtLeast, oneOf } from '../shared/validators';
import {
  PRODUCT_CODE_TYPES,
  prepareReleaseDialog,
  releaseLabel,
  validateProductCode,
  type ReleaseProperties,
} from './settings';

const t = catalogue('movilitas-release-serials');

RED.nodes.registerType<ReleaseProperties>('movilitas-release-serials', {
  category: 'Movilitas',
  color: '#5BA4C6',
  icon: 'movilitas.svg',
  inputs: 1,
  outputs: 2,
  defaults: {
    name: { value: '' },
    config: { value: '', type: 'movilitas-config', required: true, label: t('label.config') },
    productCode: { value: '', label: t('label.productCode'), validate: validateProductCode },
    productCodeType: { value: 'str', label: t('label.productCode'), validate: oneOf(PRODUCT_CODE_TYPES) },
    verifyCheckDigit: { value: true },
    validateSerials: { value: true },
    maxSerialsPerRequest: { value: 1000, label: t('label.maxSerialsPerRequest'), validate: integerAtLeast(1) },
    coalesceMs: { value: 0, label: t('label.coalesceMs'), validate: integerAtLeast(0) },
    reportToCatch: { value: false },
  },
  paletteLabel() {
    return t('paletteLabel');
  },
  label() {
    return releaseLabel(this);
  },
  labelStyle() {
    return this.name ? 'node_label_italic' : '';
  },
  inputLabels() {
    return t('input');
  },
  outputLabels(index) {
    return index === 0 ? t('outputs.released') : t('outputs.failed');
  },
  oneditprepare() {
    prepareReleaseDialog();
  },
});
