// One control action at a time: a reload racing a stop from another console, or a START while a
// partner's push is being loaded, must not interleave. Actions run in the order they were asked
// for; one that fails does not hold up the next.
export class ControlQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `action` once every action asked for before it has ended; settles as it does. */
  run<T>(action: () => Promise<T>): Promise<T> {
    const run = this.tail.then(action);
    this.tail = run.catch(() => {});
    return run;
  }
}
