/**
 * A failure to start the local stack. `message` is one line meant for the user (`npm start` prints only that line);
 * `detail` holds the output that explains it (the last lines a child process printed), shown with VERBOSE=1.
 */
export class StackStartError extends Error {
  constructor(
    message: string,
    readonly detail = '',
  ) {
    super(message);
    this.name = 'StackStartError';
  }
}

/** A server of the stack could not bind the exact port it was told to use. */
export class PortInUseError extends StackStartError {
  constructor(
    /** Which server: 'edge' or 's3'. */
    readonly server: 'edge' | 's3',
    readonly port: number,
    detail = '',
  ) {
    super(`port ${port} is in use (wanted by the ${server})`, detail);
    this.name = 'PortInUseError';
  }
}
