/**
 * Browser module `fuse-list.js`: the fusion inputs, a list of prompts and images each with a weight slider. Field ids
 * follow the item's position (`fuse-<i>-text`, `fuse-<i>-weight`, `fuse-<i>-image`) so an API error about
 * `input.inputs.<i>.<field>` lands next to the right control.
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const FUSE_LIST_JS = String.raw`
const MAX_ITEMS = 8;

/**
 * @param {{ list: HTMLOListElement, addText: HTMLButtonElement, addImage: HTMLButtonElement }} elements
 */
export function createFuseList({ list, addText, addImage }) {
  /** @type {{ type: 'text' | 'image', text: string, file: Blob | null, weight: string, previewUrl: string | null }[]} */
  let items = [];

  function add(type, text = '') {
    if (items.length >= MAX_ITEMS) return;
    items.push({ type, text, file: null, weight: '0.5', previewUrl: null });
    render();
    const index = items.length - 1;
    document.getElementById('fuse-' + index + '-' + (type === 'text' ? 'text' : 'image'))?.focus();
  }

  function remove(index) {
    const [gone] = items.splice(index, 1);
    if (gone?.previewUrl) URL.revokeObjectURL(gone.previewUrl);
    render();
    (list.querySelector('.fuse-item button') ?? addText).focus();
  }

  function render() {
    list.replaceChildren(...items.map((item, index) => renderItem(item, index)));
    addText.disabled = addImage.disabled = items.length >= MAX_ITEMS;
  }

  function renderItem(item, index) {
    const li = document.createElement('li');
    li.className = 'fuse-item';
    const prefix = 'fuse-' + index + '-';
    const number = index + 1;
    if (item.type === 'text') {
      const field = fieldWrap(prefix + 'text', 'Prompt ' + number);
      const textarea = document.createElement('textarea');
      textarea.id = prefix + 'text';
      textarea.rows = 2;
      textarea.dir = 'auto';
      textarea.value = item.text;
      textarea.setAttribute('aria-describedby', prefix + 'text-error');
      textarea.addEventListener('input', () => { item.text = textarea.value; });
      field.insertBefore(textarea, field.lastChild);
      li.append(field);
    } else {
      const field = fieldWrap(prefix + 'image', 'Image ' + number);
      const input = document.createElement('input');
      input.type = 'file';
      input.id = prefix + 'image';
      input.accept = 'image/png,image/jpeg,image/webp';
      input.setAttribute('aria-describedby', prefix + 'image-error');
      const preview = document.createElement('img');
      preview.alt = '';
      preview.hidden = !item.previewUrl;
      if (item.previewUrl) preview.src = item.previewUrl;
      input.addEventListener('change', () => {
        item.file = input.files?.[0] ?? null;
        if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
        item.previewUrl = item.file ? URL.createObjectURL(item.file) : null;
        preview.hidden = !item.previewUrl;
        if (item.previewUrl) preview.src = item.previewUrl;
      });
      field.insertBefore(input, field.lastChild);
      field.insertBefore(preview, field.lastChild);
      li.append(field);
    }
    const weightField = fieldWrap(prefix + 'weight', 'Weight ');
    const output = document.createElement('output');
    output.htmlFor = prefix + 'weight';
    output.textContent = Number(item.weight).toFixed(2);
    weightField.querySelector('label').append(output);
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.id = prefix + 'weight';
    slider.min = '0.05';
    slider.max = '1';
    slider.step = '0.05';
    slider.value = item.weight;
    slider.setAttribute('aria-describedby', prefix + 'weight-error');
    slider.addEventListener('input', () => {
      item.weight = slider.value;
      output.textContent = Number(slider.value).toFixed(2);
    });
    weightField.insertBefore(slider, weightField.lastChild);
    const removeButton = document.createElement('button');
    removeButton.type = 'button';
    removeButton.textContent = 'Remove ' + (item.type === 'text' ? 'prompt ' : 'image ') + number;
    removeButton.addEventListener('click', () => remove(index));
    li.append(weightField, removeButton);
    return li;
  }

  addText.addEventListener('click', () => add('text'));
  addImage.addEventListener('click', () => add('image'));
  items = [
    { type: 'text', text: '', file: null, weight: '0.5', previewUrl: null },
    { type: 'text', text: '', file: null, weight: '0.5', previewUrl: null },
  ];
  render();

  return {
    /** The items as request-builder.js expects them. */
    values() {
      return items.map((item) =>
        item.type === 'text'
          ? { type: 'text', text: item.text, weight: item.weight }
          : { type: 'image', file: item.file, weight: item.weight });
    },
  };
}

/** A .field with its label and error slot; controls are inserted before the error slot. */
function fieldWrap(id, labelText) {
  const field = document.createElement('div');
  field.className = 'field';
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = labelText;
  const error = document.createElement('p');
  error.id = id + '-error';
  error.className = 'field-error';
  error.hidden = true;
  field.append(label, error);
  return field;
}
`;
