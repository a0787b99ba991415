import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limiter, mapLimit, runLimited } from './limit.ts';

const tick = (ms = 2) => new Promise((r) => setTimeout(r, ms));

describe('mapLimit', () => {
  it('bounds concurrency and keeps the order of the inputs', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await tick(n);
      running--;
      return n * 10;
    });
    assert.equal(peak, 3);
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0, 60]);
  });
  it('treats a limit below 1 as 1 and an empty input as done', async () => {
    let peak = 0;
    let running = 0;
    await mapLimit([1, 2, 3], 0, async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
    });
    assert.equal(peak, 1);
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  });
  it('on the first failure starts nothing new, aborts the running tasks and rejects with that error', async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    let settled = 0;
    await assert.rejects(
      mapLimit([1, 2, 3, 4, 5], 2, async (n, _i, signal) => {
        started.push(n);
        try {
          if (n === 1) {
            await tick(1);
            throw new Error('first');
          }
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, 200);
            signal.addEventListener('abort', () => {
              clearTimeout(t);
              aborted.push(n);
              reject(new Error('second'));
            });
          });
        } finally {
          settled++;
        }
      }),
      /first/,
    );
    assert.deepEqual(started, [1, 2]);
    assert.deepEqual(aborted, [2]);
    assert.equal(settled, 2, 'every started task settled before the rejection');
  });
  it("on the caller's abort starts nothing new and rejects with the reason", async () => {
    const ac = new AbortController();
    const started: number[] = [];
    await assert.rejects(
      mapLimit(
        [1, 2, 3, 4],
        1,
        async (n, _i, signal) => {
          started.push(n);
          if (n === 2) ac.abort(new Error('cancelled'));
          assert.equal(signal.aborted, n === 2);
        },
        { signal: ac.signal },
      ),
      /cancelled/,
    );
    assert.deepEqual(started, [1, 2]);
    await assert.rejects(
      mapLimit([1], 1, async () => assert.fail('must not start'), { signal: ac.signal }),
      /cancelled/,
    );
  });
  it('runLimited runs thunks the same way', async () => {
    assert.deepEqual(await runLimited([async () => 'a', async () => 'b'], 1), ['a', 'b']);
  });
});

describe('limiter', () => {
  it('gates tasks that arrive one at a time; a failure does not stop the others', async () => {
    const limit = limiter(2);
    let running = 0;
    let peak = 0;
    const task = (n: number) =>
      limit(async () => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        if (n === 2) throw new Error('two');
        return n;
      });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(task));
    assert.equal(peak, 2);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [1, 'two', 3, 4, 5],
    );
  });
  it('rejects waiting tasks without starting them when the signal aborts', async () => {
    const ac = new AbortController();
    const limit = limiter(1, { signal: ac.signal });
    const started: number[] = [];
    const first = limit(async () => {
      started.push(1);
      await tick(5);
      return 1;
    });
    const second = limit(async () => {
      started.push(2);
      return 2;
    });
    ac.abort(new Error('stop'));
    await assert.rejects(second, /stop/);
    assert.equal(await first, 1);
    await assert.rejects(
      limit(async () => 3),
      /stop/,
    );
    assert.deepEqual(started, [1]);
  });
});
