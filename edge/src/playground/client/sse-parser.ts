/**
 * Browser module `sse-parser.js`: an incremental `text/event-stream` parser. The page reads job events with `fetch`
 * rather than `EventSource` because EventSource cannot send the `Authorization` header the API needs.
 */
export const SSE_PARSER_JS = String.raw`
/**
 * Incremental parser for text/event-stream (WHATWG HTML, "Parsing an event stream"): feed it decoded text in
 * arbitrary chunks; it calls onEvent({ event, data, id }) for every dispatched event. Comments are ignored.
 */
export class SseParser {
  /** @param {(event: { event: string, data: string, id: string }) => void} onEvent */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.pending = '';
    this.lastEventId = '';
    this.resetEvent();
  }

  resetEvent() {
    this.eventType = '';
    this.dataLines = [];
  }

  /** @param {string} chunk */
  push(chunk) {
    this.pending += chunk;
    // A trailing CR may be the first half of CRLF: keep it until the next chunk says.
    const lines = this.pending.split(/\r\n|\r(?!$)|\n/);
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /**
   * The stream ended: a final CR was a complete line end after all. Anything after the last blank line is an
   * incomplete event and is dropped, as the standard says.
   */
  end() {
    if (this.pending.endsWith('\r')) this.push('\n');
    this.pending = '';
    this.resetEvent();
  }

  /** @param {string} line */
  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.dataLines.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
  }

  dispatch() {
    if (this.dataLines.length > 0) {
      this.onEvent({ event: this.eventType || 'message', data: this.dataLines.join('\n'), id: this.lastEventId });
    }
    this.resetEvent();
  }
}
`;
