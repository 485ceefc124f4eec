// The shared quota under scale-out load, simulated (quotaSimulation.ts): virtual time, so the figures are the same
// on an idle machine and a loaded one. Asserts what must hold whatever the tuning: no window of the allowance ever
// holds more calls than its limit (counted at send, at a point inside the call, and at its answer), and every
// delivery is served. The efficiency figures (storage calls per API call, permits wasted, lost races, utilisation)
// are printed (bench/README.md records them); two of them are bounded, as counts in virtual time rather than timings:
// permits wasted (at most a tenth of the calls) and, with four instances, storage calls per API call (at most one).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulate, type SimulationOptions } from './quotaSimulation';

/** The scale-out test's allowance (incidents: 50 a minute, 1,500 an hour) at its time scales. */
const allowance = (scale: number) => [
  { limit: 50, windowMs: 60_000 * scale },
  { limit: 1500, windowMs: 3_600_000 * scale },
];

const scenarios: Array<{ name: string; options: SimulationOptions }> = [
  {
    name: 'CI size (a minute lasts 15 s), four instances, a burst on one',
    options: {
      allowance: allowance(0.25),
      instances: 4,
      workers: 12,
      deliveries: 160,
      bursts: [{ at: 20_000, deliveries: 40, instance: 2 }],
      storageLatencyMs: 20,
      timerLag: { share: 0.2, maxMs: 300 },
      seed: 1,
    },
  },
  {
    name: 'full size (a minute lasts 3 s, the hour binds), four instances, bursts',
    options: {
      allowance: allowance(0.05),
      instances: 4,
      workers: 12,
      deliveries: 900,
      bursts: [
        { at: 30_000, deliveries: 100, instance: 1 },
        { at: 200_000, deliveries: 100, instance: 3 },
      ],
      storageLatencyMs: 20,
      timerLag: { share: 0.2, maxMs: 300 },
      seed: 2,
    },
  },
  {
    name: 'full size on a loaded box (storage round trip 150 ms, 30 % of timers up to 800 ms late)',
    options: {
      allowance: allowance(0.05),
      instances: 4,
      workers: 12,
      deliveries: 900,
      bursts: [
        { at: 30_000, deliveries: 100, instance: 1 },
        { at: 200_000, deliveries: 100, instance: 3 },
      ],
      storageLatencyMs: 150,
      timerLag: { share: 0.3, maxMs: 800 },
      seed: 4,
    },
  },
  {
    name: 'eight instances, slow storage (60 ms)',
    options: {
      allowance: allowance(0.05),
      instances: 8,
      workers: 8,
      deliveries: 600,
      bursts: [{ at: 40_000, deliveries: 80, instance: 5 }],
      storageLatencyMs: 60,
      timerLag: { share: 0.2, maxMs: 300 },
      seed: 3,
    },
  },
];

describe('shared quota, simulated scale-out', () => {
  for (const { name, options } of scenarios) {
    it(`${name}: never over the allowance, every delivery served`, async () => {
      const r = await simulate(options);
      console.log(
        `# quota simulation: ${name}: ${JSON.stringify({
          apiCalls: r.apiCalls,
          wasted: r.wasted,
          storageCalls: r.storageCalls,
          storageCallsPerApiCall: r.storageCallsPerApiCall,
          conflicts: r.conflicts,
          lateEnds: r.lateEnds,
          lateStarts: r.lateStarts,
          utilisation: r.utilisation,
          busiest: r.busiest,
        })}`,
      );
      assert.equal(r.delivered, r.deliveriesQueued, 'every delivery served');
      assert.equal(r.apiCalls, 3 * r.deliveriesQueued);
      // Deterministic counts (virtual time), not timings: what the targets mean for this load.
      assert.ok(r.wasted <= r.apiCalls / 10, `${r.wasted} permits reserved and never used for ${r.apiCalls} calls`);
      if (options.instances <= 4)
        assert.ok(r.storageCallsPerApiCall <= 1, `${r.storageCallsPerApiCall} storage calls per API call`);
      for (const b of r.busiest) {
        assert.ok(b.sends <= b.limit, `${b.sends} calls sent within ${b.windowMs} ms (limit ${b.limit})`);
        assert.ok(b.arrivals <= b.limit, `${b.arrivals} calls arrived within ${b.windowMs} ms (limit ${b.limit})`);
        assert.ok(b.ends <= b.limit, `${b.ends} calls answered within ${b.windowMs} ms (limit ${b.limit})`);
      }
    });
  }
});
