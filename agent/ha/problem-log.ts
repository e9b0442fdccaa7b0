// The recent problems of redundancy (the runtime's and its controller's), as the console shows
// them: each logged when it happens and kept with its time, the last PROBLEMS_KEEP only.
export interface Problem {
  /** ISO time. */
  time: string;
  message: string;
}

export const PROBLEMS_KEEP = 20;

export class ProblemLog {
  private readonly entries: Problem[] = [];

  constructor(private readonly log: (message: string) => void) {}

  add(message: string): void {
    this.log(message);
    this.entries.push({ time: new Date().toISOString(), message });
    if (this.entries.length > PROBLEMS_KEEP) this.entries.shift();
  }

  /** Oldest first; a copy. */
  list(): Problem[] {
    return [...this.entries];
  }
}
