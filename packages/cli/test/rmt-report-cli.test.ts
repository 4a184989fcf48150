/**
 * `mpvisor report --target rmt[:profile] [--svg DIR]`, in-process, on the
 * seed NFs' configuration (examples/hypervisor/seed-nfs.yaml): every vPDP's
 * NF placed natively with placePipeline's figures, the hypervisor's image of
 * the configuration, the comparison, and the most image slots the profile
 * holds (maxImageSlots); --svg writes one chart per placement; bad targets
 * and --svg without --target are usage errors.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CommandResult } from '@mpvisor/cli';
import { DEFAULT_IMAGE, parseHypervisorConfig, type ImageConfig } from '@mpvisor/runtime';
import { maxImageSlots, placeImage, placePipeline, RMT_PROFILE, TOFINO_LIKE_PROFILE } from '@mpvisor/targets';
import { policies, programs } from '../../../examples/nfs/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SEED = join(ROOT, 'examples/hypervisor/seed-nfs.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'mpvisor-rmt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]): Promise<CommandResult> => runCli(args, '0.0.0');

/** The seed configuration's vPDPs and their NFs. */
const VPDPS = [
  { name: 'l2-switch', nf: programs.l2switch },
  { name: 'firewall', nf: programs.firewall },
  { name: 'router', nf: programs.router },
  { name: 'arp-proxy', nf: programs.arpProxy },
  { name: 'l2-switch+firewall', nf: policies.tenantA },
];
const IMAGE: ImageConfig = { ...DEFAULT_IMAGE, ...parseHypervisorConfig(readFileSync(SEED, 'utf8'), SEED).image };

describe.each([
  { target: 'rmt', profile: RMT_PROFILE },
  { target: 'rmt:rmt', profile: RMT_PROFILE },
  { target: 'rmt:tofino-like', profile: TOFINO_LIKE_PROFILE },
])('mpvisor report --target $target', ({ target, profile }) => {
  let r: CommandResult;
  const svgDir = join(tmp, target.replace(':', '-'));
  beforeAll(async () => {
    r = await cli('report', SEED, '--target', target, '--svg', svgDir);
  }, 120_000);

  it('succeeds and names the profile', () => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`on profile ${profile.name}: ${profile.stages} stages`);
    expect(r.stdout).not.toContain('Table I:');
  });

  it('places every vPDP natively, with placePipeline\'s figures', () => {
    for (const v of VPDPS) {
      const p = placePipeline(v.nf, profile);
      expect(r.stdout).toContain(`RMT placement of vPDP "${v.name}" natively`);
      const line = r.stdout.split('\n').find((l) => l.startsWith(`RMT placement of vPDP "${v.name}" natively`))!;
      expect(line).toContain(`: ${p.tables.length} logical tables in ${p.stagesUsed} of ${profile.stages} stages, ${p.latencyCycles} cycles per pass`);
    }
  });

  it('reports the image of the configuration, and the most image slots the profile holds', () => {
    const n = maxImageSlots(profile, IMAGE);
    if (n === 0) expect(r.stdout).toContain(`Max image slots on profile ${profile.name}: none`);
    else expect(r.stdout).toContain(`Max image slots on profile ${profile.name}: N=${n} `);
    let fits = true;
    try {
      placeImage(profile, IMAGE);
    } catch {
      fits = false;
    }
    if (fits) expect(r.stdout).toContain(`RMT placement of the hypervisor's generic image (N=${IMAGE.slots} slots`);
    else expect(r.stdout).toContain(`The hypervisor's generic image (N=${IMAGE.slots} slots, K=${IMAGE.primitivesPerSlot} primitive tables per slot): does not fit profile ${profile.name}: RESOURCE_EXHAUSTED`);
    expect(r.stdout).toMatch(new RegExp(`^Natively( →|,) `, 'm'));
    // when the configuration's N does not fit but a smaller one does: the cost of virtualization at that N
    if (!fits && n > 0) expect(r.stdout).toContain(`Natively → under the hypervisor, profile ${profile.name} (image N=${n}, K=${IMAGE.primitivesPerSlot})`);
  });

  it('--svg writes a chart per placement', () => {
    const files = readdirSync(svgDir).sort();
    for (const v of VPDPS) expect(files).toContain(`${v.name}.svg`);
    const n = maxImageSlots(profile, IMAGE);
    expect(files.includes('hypervisor-image-max.svg')).toBe(n > 0 && n !== IMAGE.slots);
    for (const f of files) {
      const svg = readFileSync(join(svgDir, f), 'utf8');
      expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg).toContain(`profile ${profile.name}:`);
    }
    expect(r.stdout).toContain(`Wrote ${files.length} stage-occupancy chart`);
    // the same report again: the same charts, byte for byte
    const again = readFileSync(join(svgDir, 'router.svg'), 'utf8');
    expect(again).toContain('router/forward');
  });
});

describe('mpvisor report --target: the charts are deterministic', () => {
  it('two runs write the same bytes', async () => {
    const a = join(tmp, 'det-a');
    const b = join(tmp, 'det-b');
    expect((await cli('report', SEED, '--target', 'rmt', '--svg', a)).code).toBe(0);
    expect((await cli('report', SEED, '--target', 'rmt', '--svg', b)).code).toBe(0);
    const files = readdirSync(a).sort();
    expect(readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(b, f), 'utf8')).toBe(readFileSync(join(a, f), 'utf8'));
  }, 120_000);
});

describe('mpvisor report --target: errors', () => {
  it('an unknown target or profile, or --svg alone, is a usage error', async () => {
    const bad = await cli('report', SEED, '--target', 'tofino');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--target is rmt or rmt:<profile>');
    const unknown = await cli('report', SEED, '--target', 'rmt:nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown RMT profile "nope"');
    expect(unknown.stderr).toContain('tofino-like');
    const svgAlone = await cli('report', SEED, '--svg', join(tmp, 'never'));
    expect(svgAlone.code).toBe(2);
    expect(svgAlone.stderr).toContain('--svg needs --target');
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });

  it('a configuration that is not there is a usage error', async () => {
    const r = await cli('report', join(tmp, 'nope.yaml'), '--target', 'rmt');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such file');
  });

  it('--slots overrides the configuration\'s image', async () => {
    const r = await cli('report', SEED, '--target', 'rmt', '--slots', '1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/[Tt]he hypervisor's generic image \(N=1 slots/);
  });
});
