// Who hears the agent's events (the socket's subscribers, main's watch for reloads) and whether
// an event of a kind would reach anyone: events nobody receives are not even built (at startup a
// table of 200,000 real servers would make as many `checker` events).
import type { AgentEvent, EventName } from './protocol/index.ts';

export interface ListenOptions {
  /** Only these kinds (all when absent). */
  events?: EventName[];
  /** Whether someone is there now (the socket server: a subscribed connection); always when absent. */
  active?: () => boolean;
}

interface Listener {
  fn: (e: AgentEvent) => void;
  events: ReadonlySet<EventName> | null;
  active: () => boolean;
}

export class EventHub {
  private readonly listeners = new Set<Listener>();

  /** Calls `fn` with the events `opts` asks for; returns a function that stops calling it. */
  on(fn: (e: AgentEvent) => void, opts: ListenOptions = {}): () => void {
    const entry: Listener = { fn, events: opts.events ? new Set(opts.events) : null, active: opts.active ?? (() => true) };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** Whether an event of this kind would reach anyone now. */
  listening(name: EventName): boolean {
    for (const l of this.listeners) if ((l.events === null || l.events.has(name)) && l.active()) return true;
    return false;
  }

  emit(e: AgentEvent): void {
    for (const l of this.listeners) if (l.events === null || l.events.has(e.event)) l.fn(e);
  }
}
