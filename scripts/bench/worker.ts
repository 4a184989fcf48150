/**
 * A child process of the bench (host.ts): `worker.ts target|executor ID`.
 * It finds that one target or image executor in `@mpvisor/targets`, then
 * answers the parent's jobs one at a time, and exits when the parent
 * disconnects.
 */
import * as targetsModule from '@mpvisor/targets';
import type { Reply } from './host.js';
import { Performer, type Job } from './jobs.js';
import { COPY_LOOP } from './sections/null.js';
import { discover } from './targets.js';

const [kind, id] = process.argv.slice(2);
const found = discover(targetsModule as Readonly<Record<string, unknown>>);
const target = [...found.targets, COPY_LOOP].find((t) => t.id === id);
const executor = found.executors.find((e) => e.id === id);

const send = (reply: Reply): void => void process.send!(reply);

if (kind === 'target' ? !target : !executor) {
  console.error(`bench worker: no ${kind} "${id}" in @mpvisor/targets`);
  process.exit(2);
}
const performer = new Performer(kind === 'target' ? { target: target! } : { executor: executor! });

// one job at a time, in order: timings never overlap
let queue: Promise<void> = Promise.resolve();
process.on('message', (m: { seq: number; job: Job }) => {
  queue = queue.then(async () => {
    try {
      send({ seq: m.seq, ok: true, value: await performer.perform(m.job) });
    } catch (e) {
      send({ seq: m.seq, ok: false, error: e instanceof Error ? (e.message.split('\n')[0] ?? '').slice(0, 300) : String(e) });
    }
  });
});
process.on('disconnect', () => process.exit(0));
