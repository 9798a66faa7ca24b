import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FrameScheduler } from "../../src/view/schedule";

/** A fake animation-frame clock: frame() runs the callbacks requested so far. */
function fakeFrames() {
  let next = 1;
  const callbacks = new Map<number, FrameRequestCallback>();
  vi.stubGlobal("requestAnimationFrame", (cb: FrameRequestCallback) => {
    callbacks.set(next, cb);
    return next++;
  });
  vi.stubGlobal("cancelAnimationFrame", (id: number) => callbacks.delete(id));
  return {
    pending: () => callbacks.size,
    frame: () => {
      const due = [...callbacks.values()];
      callbacks.clear();
      for (const cb of due) cb(0);
    },
  };
}

describe("FrameScheduler", () => {
  let clock: ReturnType<typeof fakeFrames>;
  beforeEach(() => {
    clock = fakeFrames();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("runs each task once per frame, in the order first requested, with one frame request", () => {
    const s = new FrameScheduler();
    const log: string[] = [];
    const a = () => log.push("a");
    const b = () => log.push("b");
    s.request(b);
    s.request(a);
    s.request(b);
    expect(clock.pending()).toBe(1);
    expect(log).toEqual([]);
    clock.frame();
    expect(log).toEqual(["b", "a"]);
    clock.frame();
    expect(log).toEqual(["b", "a"]);
  });

  it("runs a task requested while running in the next frame", () => {
    const s = new FrameScheduler();
    let runs = 0;
    const again = () => {
      runs++;
      if (runs === 1) s.request(again);
    };
    s.request(again);
    clock.frame();
    expect(runs).toBe(1);
    clock.frame();
    expect(runs).toBe(2);
  });

  it("runs every task even if one throws, then rethrows the first error", () => {
    const s = new FrameScheduler();
    let ran = false;
    s.request(() => {
      throw new Error("first");
    });
    s.request(() => {
      throw new Error("second");
    });
    s.request(() => {
      ran = true;
    });
    expect(() => clock.frame()).toThrow("first");
    expect(ran).toBe(true);
    s.request(() => {});
    expect(clock.pending()).toBe(1);
  });

  it("dispose cancels the pending frame and ignores later requests", () => {
    const s = new FrameScheduler();
    let runs = 0;
    s.request(() => runs++);
    s.dispose();
    expect(clock.pending()).toBe(0);
    s.request(() => runs++);
    expect(clock.pending()).toBe(0);
    clock.frame();
    expect(runs).toBe(0);
  });
});
