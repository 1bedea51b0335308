/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/**
 * Splits the complete events off the front of an SSE text buffer (events end with a blank line); `rest` is the
 * incomplete tail to keep for the next read. Comment-only blocks (keep-alives) are dropped.
 */
export function takeSseEvents(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  let rest = buffer;
  for (let cut = rest.indexOf('\n\n'); cut >= 0; cut = rest.indexOf('\n\n')) {
    const block = rest.slice(0, cut);
    rest = rest.slice(cut + 2);
    const event: SseEvent = { event: 'message', data: '' };
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event.event = line.slice(6).trim();
      else if (line.startsWith('id:')) event.id = line.slice(3).trim();
      else if (line.startsWith('data:')) event.data += line.slice(5).trim();
    }
    if (event.data || event.event !== 'message') events.push(event);
  }
  return { events, rest };
}

/**
 * Reads a Server-Sent Events response incrementally: `next(predicate)` resolves with the first event (in order, from
 * where the last call stopped) that matches, or throws when the stream ends first.
 */
export function sseReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const seen: SseEvent[] = [];
  let buffer = '';
  let cursor = 0;
  async function more(): Promise<boolean> {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += value;
    const taken = takeSseEvents(buffer);
    buffer = taken.rest;
    seen.push(...taken.events);
    return true;
  }
  return {
    /** Every event read so far. */
    seen,
    async next(predicate: (event: SseEvent) => boolean = () => true): Promise<SseEvent> {
      for (;;) {
        while (cursor < seen.length) {
          const event = seen[cursor++];
          if (predicate(event)) return event;
        }
        if (!(await more())) throw new Error(`the stream ended; events: ${seen.map((e) => e.event).join(', ')}`);
      }
    },
    async cancel(): Promise<void> {
      await reader.cancel().catch(() => {});
    },
  };
}
