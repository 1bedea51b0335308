/**
 * Browser module `field-errors.js`: shows an API error next to the field its `param` names (`input.steps` → the
 * Steps field), marks the field invalid for assistive technology, and falls back to the form-level alert.
 */
export const FIELD_ERRORS_JS = String.raw`
const FIELD_BY_PARAM = {
  'input.prompt': 'prompt',
  'input.negative_prompt': 'negative-prompt',
  'input.size': 'size',
  'input.width': 'size',
  'input.height': 'size',
  'input.n': 'count',
  'input.steps': 'steps',
  'input.guidance_scale': 'guidance',
  'input.seed': 'seed',
  'input.scheduler': 'scheduler',
  'input.prior_steps': 'prior-steps',
  'input.prior_guidance_scale': 'prior-guidance',
  'input.output_format': 'output-format',
  'input.strength': 'strength',
  'input.mask': 'inpaint-mask',
  'input.inputs': 'fuse-items',
};

/**
 * The id of the field an API error belongs to, or null when it belongs to no field on the page.
 * @param {{ param?: string | null, code?: string | null, status?: number }} error
 * @param {string} task the selected task (image fields differ per tab)
 */
export function fieldIdForError(error, task) {
  if (error.status === 401 || error.code === 'missing_api_key' || error.code === 'invalid_api_key') return 'api-key';
  const param = error.param;
  if (!param) return null;
  if (param === 'input.image') return task + '-image';
  const fuse = /^input\.inputs\.(\d+)(?:\.(text|image|weight|type))?$/.exec(param);
  if (fuse) return fuse[2] && fuse[2] !== 'type' ? 'fuse-' + fuse[1] + '-' + fuse[2] : 'fuse-items';
  return FIELD_BY_PARAM[param] ?? null;
}

/**
 * Shows the message next to the field (when the page has one) or in the form alert. Returns the element to focus.
 * @param {Document} doc
 * @param {{ message: string }} error
 * @param {string | null} fieldId
 */
export function showError(doc, error, fieldId) {
  const field = fieldId ? doc.getElementById(fieldId) : null;
  const slot = fieldId ? doc.getElementById(fieldId + '-error') : null;
  if (field && slot && !isHidden(field)) {
    slot.textContent = error.message;
    slot.hidden = false;
    field.setAttribute('aria-invalid', 'true');
    return field;
  }
  const alert = doc.getElementById('form-error');
  alert.textContent = error.message;
  alert.hidden = false;
  return alert;
}

/** Removes every shown error. @param {Document} doc */
export function clearErrors(doc) {
  for (const slot of doc.querySelectorAll('.field-error')) {
    slot.textContent = '';
    slot.hidden = true;
  }
  for (const field of doc.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
  const alert = doc.getElementById('form-error');
  alert.textContent = '';
  alert.hidden = true;
}

function isHidden(element) {
  return element.closest('[hidden]') !== null;
}
`;
