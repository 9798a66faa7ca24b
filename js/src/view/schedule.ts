/**
 * One scheduler for all deferred work: every task requested before the next animation frame runs
 * once in that frame, in the order first requested, however often it was requested. So a batch of
 * trait changes (one `hold_sync()` block) redraws and re-renders the panel once.
 */

export type Task = () => void;

export class FrameScheduler {
  private readonly pending = new Set<Task>();
  private handle = 0;
  private disposed = false;

  /** Run `task` in the next animation frame (once, however often it is requested until then). */
  request(task: Task): void {
    if (this.disposed) return;
    this.pending.add(task);
    if (this.handle === 0) this.handle = requestAnimationFrame(this.flush);
  }

  /** Drop pending tasks; later requests are ignored. */
  dispose(): void {
    this.disposed = true;
    this.pending.clear();
    if (this.handle !== 0) cancelAnimationFrame(this.handle);
    this.handle = 0;
  }

  private readonly flush = (): void => {
    this.handle = 0;
    const tasks = [...this.pending];
    this.pending.clear();
    // Every task runs even if one throws; the first error is rethrown afterwards.
    let failed = false;
    let failure: unknown;
    for (const task of tasks) {
      try {
        task();
      } catch (e) {
        if (!failed) failure = e;
        failed = true;
      }
    }
    if (failed) throw failure;
  };
}
