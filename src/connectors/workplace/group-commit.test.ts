import { describe, expect, it } from 'vitest';
import type { Activity } from '../../schema/activity.ts';
import { GroupCommitter } from './group-commit.ts';

const act = (id: string) => ({ id }) as Activity;

describe('GroupCommitter', () => {
  it('commits what arrives during a running commit as ONE next group, and settles each caller after its own commit', async () => {
    const commits: string[][] = [];
    const releases: Array<() => void> = [];
    const gc = new GroupCommitter({
      windowMs: 0,
      maxEvents: 1000,
      commit: async (acts) => {
        commits.push(acts.map((a) => a.id));
        await new Promise<void>((r) => releases.push(r)); // each commit waits until the test releases it
        return { inserted: acts.length, duplicates: 0, insertedIds: acts.map((a) => a.id) };
      },
    });
    const tick = () => new Promise((r) => setImmediate(r));
    const settled: string[] = [];
    const p1 = gc.submit([act('a')]).then(() => settled.push('a'));
    await tick(); // the first commit starts and blocks
    const rest = ['b', 'c', 'd'].map((id) => gc.submit([act(id), act('dup')]).then(() => settled.push(id)));
    await tick();
    expect(commits).toEqual([['a']]);
    expect(settled).toEqual([]); // nothing acknowledged before its commit
    releases[0]();
    await p1;
    expect(settled).toEqual(['a']);
    await tick();
    expect(commits).toEqual([['a'], ['b', 'dup', 'c', 'd']]); // one group, the racing duplicate once
    expect(settled).toEqual(['a']);
    releases[1]();
    await Promise.all(rest);
    expect(settled.sort()).toEqual(['a', 'b', 'c', 'd']);
    await gc.drain();
  });

  it('rejects every caller of a failed group, and the next group still commits', async () => {
    let fail = true;
    const gc = new GroupCommitter({
      windowMs: 5,
      maxEvents: 1000,
      commit: async (acts) => {
        if (fail) throw new Error('disk full');
        return { inserted: acts.length, duplicates: 0, insertedIds: acts.map((a) => a.id) };
      },
    });
    const results = await Promise.allSettled([gc.submit([act('x')]), gc.submit([act('y')])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(gc.submit([act('z')])).resolves.toBeUndefined();
  });

  it('when a group fails, tries each delivery alone: only the one the store refuses is rejected', async () => {
    const commits: string[][] = [];
    const gc = new GroupCommitter({
      windowMs: 5,
      maxEvents: 1000,
      commit: async (acts) => {
        commits.push(acts.map((a) => a.id));
        if (acts.some((a) => a.id === 'poison')) throw new Error('cannot store this one');
        return { inserted: acts.length, duplicates: 0, insertedIds: acts.map((a) => a.id) };
      },
    });
    const results = await Promise.allSettled([gc.submit([act('a'), act('b')]), gc.submit([act('poison')]), gc.submit([act('c')])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(commits).toEqual([['a', 'b', 'poison', 'c'], ['a', 'b'], ['poison'], ['c']]);
  });
});
