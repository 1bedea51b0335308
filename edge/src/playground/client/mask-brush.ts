/**
 * Browser module `mask-brush.js`: the inpainting mask editor. A canvas at the image's own pixel size lies over the
 * preview; the user paints with pointer, pen or touch, and the strokes export as the API's mask (white = repaint,
 * black = keep) with exactly the image's width and height, as the API requires.
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const MASK_BRUSH_JS = String.raw`
const STROKE_COLOUR = '#ff2d6f';
const MAX_UNDO = 20;

/** The mask editor over an uploaded image. */
export class MaskBrush {
  /**
   * @param {{ canvas: HTMLCanvasElement, image: HTMLImageElement }} elements
   */
  constructor({ canvas, image }) {
    this.canvas = canvas;
    this.image = image;
    this.context = canvas.getContext('2d', { willReadFrequently: true });
    this.brushCssPixels = 40;
    this.erasing = false;
    this.undoStack = [];
    this.lastPoint = null;
    this.objectUrl = null;
    canvas.addEventListener('pointerdown', (event) => this.start(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    canvas.addEventListener('pointerup', (event) => this.end(event));
    canvas.addEventListener('pointercancel', (event) => this.end(event));
  }

  /**
   * Shows a picked file and sizes the canvas to its pixels. Resolves once the image decoded.
   * @param {Blob} file
   */
  load(file) {
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = URL.createObjectURL(file);
    return new Promise((resolve, reject) => {
      this.image.onload = () => {
        this.canvas.width = this.image.naturalWidth;
        this.canvas.height = this.image.naturalHeight;
        this.undoStack = [];
        this.clear(false);
        resolve({ width: this.canvas.width, height: this.canvas.height });
      };
      this.image.onerror = () => reject(new Error('The browser could not read this image.'));
      this.image.src = this.objectUrl;
    });
  }

  /** @param {number} pixels brush diameter as seen on screen */
  setBrushSize(pixels) {
    this.brushCssPixels = pixels;
  }

  /** @param {boolean} erasing */
  setErasing(erasing) {
    this.erasing = erasing;
  }

  /** Removes all strokes. @param {boolean} [undoable] */
  clear(undoable = true) {
    if (undoable) this.snapshot();
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Marks the whole image for repainting (the keyboard path to a usable mask). */
  fillAll() {
    this.snapshot();
    this.context.globalCompositeOperation = 'source-over';
    this.context.fillStyle = STROKE_COLOUR;
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Reverts the last stroke, clear or fill. */
  undo() {
    const previous = this.undoStack.pop();
    if (previous) this.context.putImageData(previous, 0, 0);
  }

  /** True when any pixel is painted. */
  hasStrokes() {
    if (this.canvas.width === 0) return false;
    const { data } = this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
    return false;
  }

  /**
   * The mask as a PNG of the image's size: painted pixels white, the rest black, fully opaque. Null when nothing
   * is painted (the API then reports the missing mask in its own words).
   * @returns {Promise<Blob | null>}
   */
  async toPngBlob() {
    if (!this.hasStrokes()) return null;
    const out = document.createElement('canvas');
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    const context = out.getContext('2d');
    context.drawImage(this.canvas, 0, 0);
    // Recolour strokes white keeping their coverage, then put black behind everything.
    context.globalCompositeOperation = 'source-in';
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, out.width, out.height);
    context.globalCompositeOperation = 'destination-over';
    context.fillStyle = '#000000';
    context.fillRect(0, 0, out.width, out.height);
    return new Promise((resolve, reject) =>
      out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('Could not encode the mask.'))), 'image/png'));
  }

  snapshot() {
    if (this.canvas.width === 0) return;
    this.undoStack.push(this.context.getImageData(0, 0, this.canvas.width, this.canvas.height));
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
  }

  /** Canvas pixel coordinates of a pointer event (the canvas is scaled by CSS to the preview). */
  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * this.canvas.width,
      y: ((event.clientY - box.top) / box.height) * this.canvas.height,
      scale: this.canvas.width / box.width,
    };
  }

  start(event) {
    if (event.button !== 0 || this.canvas.width === 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.snapshot();
    this.lastPoint = this.point(event);
    this.paint(this.lastPoint, this.lastPoint);
  }

  move(event) {
    if (!this.lastPoint) return;
    const next = this.point(event);
    this.paint(this.lastPoint, next);
    this.lastPoint = next;
  }

  end(event) {
    if (!this.lastPoint) return;
    this.lastPoint = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) this.canvas.releasePointerCapture(event.pointerId);
  }

  paint(from, to) {
    const context = this.context;
    context.globalCompositeOperation = this.erasing ? 'destination-out' : 'source-over';
    context.strokeStyle = STROKE_COLOUR;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = this.brushCssPixels * to.scale;
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x + 0.01, to.y);
    context.stroke();
  }
}
`;
