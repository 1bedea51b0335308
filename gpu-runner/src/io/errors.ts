/**
 * An error in a checkpoint, model folder or converted model: always names the file and what is wrong with it,
 * so a user can act on it without reading the source.
 */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    message: string,
    /** The file or folder the problem was found in. */
    readonly path?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}
